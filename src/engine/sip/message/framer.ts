import { ParseErrorCode, SipParseError } from '../errors';
import type { SipMessage } from './message';
import { findHeaderEnd, parseMessage, type ParseLimits } from './parser';

export type FramerOutput =
  | { kind: 'message'; message: SipMessage }
  /** A double-CRLF keep-alive ping (RFC 5626 3.5.1): the transport answers with one CRLF. */
  | { kind: 'ping' }
  /** The stream is unusable from here on; the transport closes the connection. */
  | { kind: 'error'; error: SipParseError };

/**
 * Cuts a TCP byte stream into messages by Content-Length (RFC 3261 18.3). Keep-alive CRLFs
 * between messages are skipped (RFC 5626 3.5.1). Memory is bounded by maxMessageBytes: a peer
 * that sends more without completing a message gets an error. After an error the framer is dead.
 */
export class TcpFramer {
  private buf: Buffer = Buffer.alloc(0);
  private dead = false;
  /** Where the next header-end search starts (avoids rescanning a slowly arriving header). */
  private scanFrom = 0;

  constructor(private readonly limits: ParseLimits) {}

  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): FramerOutput[] {
    if (this.dead) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FramerOutput[] = [];
    for (;;) {
      // Leading CRLFs: keep-alives. "\r\n\r\n" is a ping, a lone "\r\n" a pong or padding.
      let skip = 0;
      const b = this.buf;
      while (skip + 1 < b.length && b[skip] === 0x0d && b[skip + 1] === 0x0a) {
        if (skip + 3 < b.length && b[skip + 2] === 0x0d && b[skip + 3] === 0x0a) {
          out.push({ kind: 'ping' });
          skip += 4;
        } else if (skip + 2 === b.length || (skip + 3 === b.length && b[skip + 2] === 0x0d)) {
          break; // could still become a double-CRLF ping: wait for more bytes
        } else skip += 2;
      }
      if (skip > 0) {
        this.buf = this.buf.subarray(skip);
        this.scanFrom = 0;
      }
      if (this.buf.length === 0 || this.buf[0] === 0x0d && this.buf.length < 4 && isCrlfPrefix(this.buf)) break;
      const end = findHeaderEnd(this.buf, this.scanFrom);
      if (!end) {
        if (this.buf.length > this.limits.maxMessageBytes) return this.die(out, ParseErrorCode.TooLarge, 'header section exceeds the size limit');
        this.scanFrom = Math.max(0, this.buf.length - 3);
        break;
      }
      const cl = contentLength(this.buf.toString('latin1', 0, end.at));
      if (cl === null) return this.die(out, ParseErrorCode.BadContentLength, 'bad Content-Length on stream');
      const total = end.at + end.sep + cl;
      if (total > this.limits.maxMessageBytes) return this.die(out, ParseErrorCode.TooLarge, `message of ${total} bytes exceeds the limit`);
      if (this.buf.length < total) {
        this.scanFrom = 0;
        break;
      }
      // Copy the frame so the message does not pin the whole stream buffer.
      const frame = Buffer.from(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
      this.scanFrom = 0;
      const r = parseMessage(frame, this.limits);
      if (!r.ok) {
        this.dead = true;
        this.buf = Buffer.alloc(0);
        out.push({ kind: 'error', error: r.error });
        return out;
      }
      out.push({ kind: 'message', message: r.message });
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return out;
  }

  private die(out: FramerOutput[], code: ParseErrorCode, msg: string): FramerOutput[] {
    this.dead = true;
    this.buf = Buffer.alloc(0);
    out.push({ kind: 'error', error: new SipParseError(code, msg) });
    return out;
  }
}

/** Content-Length from a header section; 0 when absent, null when malformed. */
function contentLength(head: string): number | null {
  const lines = head.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'content-length' && name !== 'l') continue;
    const v = line.slice(colon + 1).trim();
    if (!/^\d{1,9}$/.test(v)) return null;
    return Number(v);
  }
  return 0;
}

function isCrlfPrefix(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== (i % 2 === 0 ? 0x0d : 0x0a)) return false;
  return true;
}
