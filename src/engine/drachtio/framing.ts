/**
 * Framing of the drachtio wire protocol: every message is `<byte length>#<payload>` where the
 * length counts the UTF-8 bytes of the payload (drachtio-srf lib/wire-protocol.js `send`).
 * The decoder is a pure processor over received chunks; the socket code stays thin.
 */

export class FramingError extends Error {
  readonly code = 'EFRAMING';
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/** Largest accepted payload; drachtio-server itself refuses length specifiers of 6+ digits. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
const MAX_LENGTH_DIGITS = 7;

export function encodeFrame(payload: string): Buffer {
  return Buffer.from(frameString(payload), 'utf8');
}

/** The frame as text, for a writer that encodes many frames at once. */
export function frameString(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}#${payload}`;
}

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  /**
   * Appends a chunk and returns every complete payload it finishes. Throws FramingError on a
   * malformed length specifier or an oversized frame: the peer is not speaking the protocol
   * and the connection must be closed (drachtio-server does the same).
   */
  push(chunk: Buffer): string[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    for (;;) {
      const hash = this.buf.indexOf(0x23 /* # */);
      if (hash < 0) {
        if (this.buf.length > MAX_LENGTH_DIGITS) throw new FramingError('length specifier too long');
        this.checkDigits(this.buf.length);
        return out;
      }
      if (hash === 0 || hash > MAX_LENGTH_DIGITS) throw new FramingError('invalid length specifier');
      this.checkDigits(hash);
      const len = Number(this.buf.toString('ascii', 0, hash));
      if (len <= 0 || len > this.maxFrameBytes) throw new FramingError(`invalid frame length ${len}`);
      const end = hash + 1 + len;
      if (this.buf.length < end) return out;
      out.push(this.buf.toString('utf8', hash + 1, end));
      this.buf = this.buf.subarray(end);
    }
  }

  private checkDigits(n: number): void {
    for (let i = 0; i < n; i++) {
      const c = this.buf[i];
      if (c < 0x30 || c > 0x39) throw new FramingError('non-digit in length specifier');
    }
  }
}
