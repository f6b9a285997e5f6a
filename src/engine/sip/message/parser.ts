import { ParseErrorCode, SipParseError } from '../errors';
import { canonicalName, Headers, splitList, type HeaderEntry } from './headers';
import { SipRequest, SipResponse, type SipMessage } from './message';
import { parseCSeq, parseVia } from './fields';
import { parseNameAddr } from './uri';

export interface ParseLimits {
  /** Largest accepted message (start line + headers + body), bytes. */
  maxMessageBytes: number;
  /** Largest number of header lines (after unfolding). */
  maxHeaders: number;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

function fail(code: ParseErrorCode, message: string, request?: SipRequest): ParseResult {
  const error = new SipParseError(code, message);
  if (request) error.request = request;
  return { ok: false, error };
}

/** Index of the blank line ending the header section and the length of that separator. */
export function findHeaderEnd(buf: Buffer, from = 0): { at: number; sep: number } | null {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buf.indexOf('\n\n', from, 'latin1');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, sep: 4 };
  if (lf >= 0) return { at: lf, sep: 2 };
  return null;
}

/**
 * Parses one complete message (a UDP datagram, or a frame cut by TcpFramer). Never throws: any
 * input yields either a message or a SipParseError with a code.
 *
 * Mandatory headers checked per RFC 3261 8.1.1 / 8.2.x: Via, From, To, Call-ID, CSeq. A missing
 * Max-Forwards is accepted, as drachtio-server does. The CSeq method must equal the request
 * method (RFC 3261 8.1.1.5).
 */
export function parseMessage(buf: Buffer, limits: ParseLimits): ParseResult {
  try {
    return parseUnsafe(buf, limits);
  } catch (err) {
    // A parser bug must not take the process down: report it as a malformed message.
    return fail(ParseErrorCode.BadHeader, `parser failure: ${(err as Error).message}`);
  }
}

function parseUnsafe(buf: Buffer, limits: ParseLimits): ParseResult {
  if (buf.length === 0) return fail(ParseErrorCode.Empty, 'empty message');
  if (buf.length > limits.maxMessageBytes) {
    return fail(ParseErrorCode.TooLarge, `message of ${buf.length} bytes exceeds ${limits.maxMessageBytes}`);
  }
  const end = findHeaderEnd(buf);
  if (!end) return fail(ParseErrorCode.Truncated, 'no blank line after the headers');
  // Header section must be text: NUL and other control characters (except HT, CR, LF) are binary garbage.
  for (let i = 0; i < end.at; i++) {
    const c = buf[i];
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) {
      return fail(ParseErrorCode.Binary, `control byte 0x${c.toString(16)} at offset ${i}`);
    }
  }
  const head = buf.toString('utf8', 0, end.at);
  const lines = head.split(/\r?\n/);
  const startLine = lines[0];

  let request: SipRequest | undefined;
  let response: SipResponse | undefined;
  if (startLine.startsWith('SIP/2.0 ')) {
    const sp = startLine.indexOf(' ', 8);
    const codeStr = sp < 0 ? startLine.slice(8) : startLine.slice(8, sp);
    if (codeStr.length !== 3 || !/^[1-6]\d\d$/.test(codeStr)) {
      return fail(ParseErrorCode.BadStartLine, `bad status code in ${JSON.stringify(startLine.slice(0, 80))}`);
    }
    response = new SipResponse(Number(codeStr), sp < 0 ? '' : startLine.slice(sp + 1));
  } else {
    const sp1 = startLine.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : startLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || startLine.slice(sp2 + 1) !== 'SIP/2.0') {
      return fail(ParseErrorCode.BadStartLine, `bad start line ${JSON.stringify(startLine.slice(0, 80))}`);
    }
    const method = startLine.slice(0, sp1);
    const uri = startLine.slice(sp1 + 1, sp2);
    if (!isMethodToken(method)) return fail(ParseErrorCode.BadStartLine, `bad method ${JSON.stringify(method.slice(0, 40))}`);
    const colon = uri.indexOf(':');
    if (colon <= 0 || colon === uri.length - 1) return fail(ParseErrorCode.BadUri, `bad Request-URI ${JSON.stringify(uri.slice(0, 80))}`);
    request = new SipRequest(method, uri);
  }

  const entries: HeaderEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) continue;
    // A bare CR inside a line would let a value smuggle a line break into anything that echoes it.
    if (line.indexOf('\r') >= 0) return fail(ParseErrorCode.BadHeader, 'bare CR in header section');
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      // Folded continuation line (RFC 3261 7.3.1): joined to the previous value with one space.
      const prev = entries[entries.length - 1];
      if (!prev) return fail(ParseErrorCode.BadHeader, 'continuation line before any header');
      prev.value = `${prev.value} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return fail(ParseErrorCode.BadHeader, `header line without name: ${JSON.stringify(line.slice(0, 60))}`);
    let nameEnd = colon;
    while (nameEnd > 0 && (line.charCodeAt(nameEnd - 1) === 0x20 || line.charCodeAt(nameEnd - 1) === 0x09)) nameEnd--;
    const name = line.slice(0, nameEnd);
    if (!isMethodToken(name)) return fail(ParseErrorCode.BadHeader, `bad header name ${JSON.stringify(name.slice(0, 40))}`);
    if (entries.length >= limits.maxHeaders) {
      return fail(ParseErrorCode.TooManyHeaders, `more than ${limits.maxHeaders} headers`);
    }
    entries.push({ name, key: canonicalName(name), value: line.slice(colon + 1).trim() });
  }
  const headers = Headers.fromParsed(entries);
  const msg: SipMessage = request ?? (response as SipResponse);
  msg.headers = headers;

  // Body: Content-Length decides; a datagram may carry less (truncated) or more (extra ignored,
  // RFC 3261 18.3). Without Content-Length the rest of the datagram is the body. Copied out, so
  // the message does not keep the datagram (whose header bytes are already in `head`) alive.
  const bodyStart = end.at + end.sep;
  const available = buf.length - bodyStart;
  const clStr = headers.get('content-length');
  if (clStr !== undefined) {
    if (!/^\d{1,9}$/.test(clStr)) return fail(ParseErrorCode.BadContentLength, `bad Content-Length ${JSON.stringify(clStr.slice(0, 20))}`);
    const cl = Number(clStr);
    if (cl > available) return fail(ParseErrorCode.Truncated, `body shorter (${available}) than Content-Length ${cl}`);
    if (cl > 0) msg.body = Buffer.from(buf.subarray(bodyStart, bodyStart + cl));
  } else if (available > 0) msg.body = Buffer.from(buf.subarray(bodyStart));

  // Mandatory headers. Via first: without it no response can be addressed at all.
  const topVia = headers.get('via');
  if (topVia === undefined) return fail(ParseErrorCode.MissingHeader, 'missing Via');
  if (!parseVia(topVia)) return fail(ParseErrorCode.BadVia, `bad Via ${JSON.stringify(topVia.slice(0, 80))}`);
  // From here on a request can get a 400 (unless it is an ACK, which is never answered).
  const answerable = request && request.method !== 'ACK' ? request : undefined;
  for (const h of ['from', 'to', 'call-id', 'cseq']) {
    const v = headers.get(h);
    if (v === undefined || v === '') return fail(ParseErrorCode.MissingHeader, `missing ${h}`, answerable);
  }
  const cseq = parseCSeq(headers.get('cseq') as string);
  if (!cseq) return fail(ParseErrorCode.BadCSeq, 'bad CSeq', answerable);
  if (request && cseq.method !== request.method) {
    return fail(ParseErrorCode.CSeqMethodMismatch, `CSeq method ${cseq.method} != ${request.method}`, answerable);
  }
  if (!parseNameAddr(headers.get('from') as string) || !parseNameAddr(headers.get('to') as string)) {
    return fail(ParseErrorCode.BadFromTo, 'bad From or To', answerable);
  }
  return { ok: true, message: msg };
}

function isMethodToken(s: string): boolean {
  if (s.length === 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x2d || c === 0x2e || c === 0x21 || c === 0x25 || c === 0x2a || c === 0x5f ||
      c === 0x2b || c === 0x60 || c === 0x27 || c === 0x7e;
    if (!ok) return false;
  }
  return true;
}

/** Exported for tests and for code that wants list splitting without a Headers object. */
export { splitList };
