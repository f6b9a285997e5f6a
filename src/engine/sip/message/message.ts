import { Headers } from './headers';

const EMPTY = Buffer.alloc(0);

/** The last wire form of a message and what it was made from (serializer.ts reuses it while they are unchanged). */
export interface WireForm {
  readonly headers: Headers;
  readonly version: number;
  readonly start: string;
  readonly body: Buffer;
  readonly wire: Buffer;
  text?: string;
}

/** A SIP request (RFC 3261 section 7.1). Fields are mutable so a TU can build one up. */
export class SipRequest {
  readonly kind = 'request' as const;
  headers: Headers;
  body: Buffer;
  /** Set by serialize(); a field rather than a WeakMap entry, which would cost every GC. */
  wireForm: WireForm | undefined = undefined;

  constructor(public method: string, public uri: string, headers?: Headers | Iterable<readonly [string, string]>, body?: Buffer | string) {
    this.headers = headers instanceof Headers ? headers : new Headers(headers);
    this.body = typeof body === 'string' ? Buffer.from(body) : body ?? EMPTY;
  }

  /** Shortcut for headers.get(). */
  get(name: string): string | undefined {
    return this.headers.get(name);
  }

  clone(): SipRequest {
    return new SipRequest(this.method, this.uri, this.headers.clone(), this.body);
  }
}

/** A SIP response (RFC 3261 section 7.2). */
export class SipResponse {
  readonly kind = 'response' as const;
  headers: Headers;
  body: Buffer;
  /** Set by serialize(); a field rather than a WeakMap entry, which would cost every GC. */
  wireForm: WireForm | undefined = undefined;

  constructor(public status: number, public reason: string, headers?: Headers | Iterable<readonly [string, string]>, body?: Buffer | string) {
    this.headers = headers instanceof Headers ? headers : new Headers(headers);
    this.body = typeof body === 'string' ? Buffer.from(body) : body ?? EMPTY;
  }

  get(name: string): string | undefined {
    return this.headers.get(name);
  }

  clone(): SipResponse {
    return new SipResponse(this.status, this.reason, this.headers.clone(), this.body);
  }
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}
