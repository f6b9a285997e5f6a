import { redactUrl } from './url';

/**
 * Named, coded errors of the delivery part. Callers and the persisted records match on `code`,
 * never on message text.
 */
export type DeliveryErrorCode =
  | 'url_invalid'
  | 'url_refused'
  | 'dns_failed'
  | 'connect_timeout'
  | 'transfer_timeout'
  | 'connection_failed'
  | 'http_status'
  | 'too_many_redirects'
  | 'file_missing'
  /** Encryption at rest: the spool file failed authentication and was quarantined. */
  | 'file_tampered'
  /** Encryption at rest: the file names a key that is not configured (kept; add the key and retry). */
  | 'key_unknown'
  | 'no_media'
  | 'horizon_reached'
  | 'invalid_transition'
  | 'aborted';

export class DeliveryError extends Error {
  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    /** false: retrying cannot help (refused or malformed target, missing file). */
    readonly retryable: boolean,
  ) {
    // Messages end up in logs, records and the API: never with a URL's credentials.
    super(redactUrl(message));
    this.name = new.target.name;
  }
}

/** The URL cannot be parsed or its scheme is not http/https. */
export class UrlInvalidError extends DeliveryError {
  constructor(message: string) {
    super('url_invalid', message, false);
  }
}

/** The URL's host resolves to an address the outbound network policy denies. */
export class UrlRefusedError extends DeliveryError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly rule: string,
  ) {
    super('url_refused', `outbound address ${address} of host ${host} refused by network rule ${rule}`, false);
  }
}

export class DnsError extends DeliveryError {
  constructor(host: string, cause: string) {
    super('dns_failed', `cannot resolve ${host}: ${cause}`, true);
  }
}

export class ConnectTimeoutError extends DeliveryError {
  constructor(ms: number) {
    super('connect_timeout', `connection not established within ${ms} ms`, true);
  }
}

export class TransferTimeoutError extends DeliveryError {
  constructor(ms: number) {
    super('transfer_timeout', `no progress for ${ms} ms during the transfer`, true);
  }
}

export class ConnectionError extends DeliveryError {
  constructor(cause: string) {
    super('connection_failed', cause, true);
  }
}

/** The server answered with a status outside 2xx (and not a followed redirect). */
export class HttpStatusError extends DeliveryError {
  constructor(
    readonly status: number,
    bodySnippet: string,
  ) {
    super('http_status', `HTTP ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`, true);
  }
}

export class TooManyRedirectsError extends DeliveryError {
  constructor(detail: string) {
    super('too_many_redirects', detail, true);
  }
}

export class FileMissingError extends DeliveryError {
  constructor(path: string) {
    super('file_missing', `recording file ${path} is missing`, false);
  }
}

export class HorizonReachedError extends DeliveryError {
  constructor(horizonMs: number, last: string) {
    super('horizon_reached', `not delivered within ${horizonMs} ms; last error: ${last}`, false);
  }
}

export class InvalidTransitionError extends DeliveryError {
  constructor(from: string, event: string) {
    super('invalid_transition', `event ${event} not allowed in status ${from}`, false);
  }
}

export class AbortedError extends DeliveryError {
  constructor() {
    super('aborted', 'upload aborted by shutdown', true);
  }
}
