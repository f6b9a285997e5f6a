import { randomBytes } from 'node:crypto';
import { Headers } from './headers';
import { SipRequest, SipResponse } from './message';
import { getHeaderParam, setHeaderParam } from './params';

/** RFC 3261 magic cookie: marks branch ids unique per transaction (section 8.1.1.7). */
export const MAGIC_COOKIE = 'z9hG4bK';

/**
 * Random material comes from crypto.randomBytes, drawn in blocks so the hot path does not make
 * a system call per id.
 */
let pool = Buffer.alloc(0);
let poolPos = 0;
function randomHex(bytes: number): string {
  if (poolPos + bytes > pool.length) {
    pool = randomBytes(4096);
    poolPos = 0;
  }
  const s = pool.toString('hex', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** A branch id with the magic cookie and 96 random bits. */
export function newBranch(): string {
  return MAGIC_COOKIE + randomHex(12);
}

/** A tag with 64 random bits (RFC 3261 19.3 asks for at least 32). */
export function newTag(): string {
  return randomHex(8);
}

/** A Call-ID with 128 random bits. */
export function newCallId(): string {
  return randomHex(16);
}

export const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 204: 'No Notification',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  410: 'Gone', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required', 423: 'Interval Too Brief',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected',
  483: 'Too Many Hops', 484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here', 487: 'Request Terminated',
  488: 'Not Acceptable Here', 489: 'Bad Event', 491: 'Request Pending', 493: 'Undecipherable',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

/**
 * A response to `req` per RFC 3261 8.2.6.2: Via(s), From, To, Call-ID and CSeq copied; a To tag
 * added for anything but 100 when the request had none; Content-Length 0 (serialize recomputes).
 */
export function createResponse(req: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  const h = new Headers();
  const src = req.headers.entries();
  for (const e of src) if (e.key === 'via') h.append(e.name, e.value);
  for (const key of ['from', 'to', 'call-id', 'cseq']) {
    for (const e of src) {
      if (e.key !== key) continue;
      let v = e.value;
      if (key === 'to' && status > 100 && getHeaderParam(v, 'tag') === undefined) v = setHeaderParam(v, 'tag', toTag ?? newTag());
      h.append(e.name, v);
      break;
    }
  }
  h.append('Content-Length', '0');
  return new SipResponse(status, reason ?? REASONS[status] ?? 'Unknown', h);
}

/** Headers a response to a request is built from (RFC 3261 8.2.6.2) and an ACK is matched by (17.2.3). */
const KEPT_AFTER_FINAL = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

/**
 * What a server transaction keeps of its request once a final response is out: the method,
 * Request-URI and the identity headers, no body. Values are copied into strings of their own
 * (the parser's values are slices of the whole header section, which would keep all of it
 * alive), so a large request costs its full size only until it is answered.
 */
export function transactionCopy(req: SipRequest): SipRequest {
  const own = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');
  const kept: [string, string][] = [];
  for (const e of req.headers.entries()) if (KEPT_AFTER_FINAL.has(e.key)) kept.push([own(e.name), own(e.value)]);
  return new SipRequest(own(req.method), own(req.uri), kept);
}
