/**
 * Named, coded errors of the SIP core. Callers branch on `code`, never on message text.
 */

/** Why a message could not be parsed. String values are stable (tests and stats use them). */
export enum ParseErrorCode {
  Empty = 'EMPTY',
  TooLarge = 'TOO_LARGE',
  Truncated = 'TRUNCATED',
  Binary = 'BINARY',
  BadStartLine = 'BAD_START_LINE',
  BadHeader = 'BAD_HEADER',
  TooManyHeaders = 'TOO_MANY_HEADERS',
  BadContentLength = 'BAD_CONTENT_LENGTH',
  MissingHeader = 'MISSING_HEADER',
  BadVia = 'BAD_VIA',
  BadCSeq = 'BAD_CSEQ',
  CSeqMethodMismatch = 'CSEQ_METHOD_MISMATCH',
  BadUri = 'BAD_URI',
  BadFromTo = 'BAD_FROM_TO',
}

export class SipError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Parse failure. `request` is set when enough was understood to address a 400 (RFC 3261 8.2.6). */
export class SipParseError extends SipError {
  /** Set when the start line was a request line and the top Via was usable. */
  request?: import('./message/message').SipRequest;
  declare readonly code: ParseErrorCode;
  constructor(code: ParseErrorCode, message: string) {
    super(code, message);
  }
}

/** A header name or value that would break the wire format (header injection, bad token). */
export class SipHeaderError extends SipError {
  constructor(message: string) {
    super('ERR_SIP_HEADER_INVALID', message);
  }
}

/** A start line that cannot be serialized safely (CR/LF or spaces where they are not allowed). */
export class SipSerializeError extends SipError {
  constructor(message: string) {
    super('ERR_SIP_SERIALIZE', message);
  }
}

export class SipTransportError extends SipError {
  constructor(code: 'ERR_SIP_NO_TRANSPORT' | 'ERR_SIP_SEND' | 'ERR_SIP_CONNECT' | 'ERR_SIP_RESOLVE' | 'ERR_SIP_CLOSED' | 'ERR_SIP_TLS_CONFIG', message: string) {
    super(code, message);
  }
}

export class SipTransactionError extends SipError {
  constructor(code: 'ERR_SIP_TIMEOUT' | 'ERR_SIP_ALREADY_FINAL' | 'ERR_SIP_NOT_INVITE' | 'ERR_SIP_TERMINATED' | 'ERR_SIP_BAD_STATE', message: string) {
    super(code, message);
  }
}
