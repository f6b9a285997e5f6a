import { randomBytes } from 'node:crypto';
import { AtRestError } from './errors';
import type { SpoolKey } from './keyring';
import {
  DEFAULT_CHUNK_SIZE, NONCE_PREFIX_BYTES, SALT_BYTES, TAG_BYTES,
  encodeHeader, fileKey, openChunk, parseHeader, sealChunk, type FileHeader,
} from './framing';

export interface SealerOptions {
  readonly keyId: string;
  readonly key: Buffer;
  /** Random per file (crypto.randomBytes); passed in so tests are deterministic. */
  readonly salt: Buffer;
  readonly noncePrefix: Buffer;
  readonly chunkSize?: number;
  /** Bytes of a head region sealed last (a WAV header); 0: none. */
  readonly headLen?: number;
}

/** Encrypts a stream incrementally (pure: bytes in, file bytes out). */
export class Sealer {
  readonly header: FileHeader;
  readonly headerBytes: Buffer;
  private readonly key: Buffer;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private index = 1;
  private finished = false;
  private headSealed = false;

  constructor(o: SealerOptions) {
    if (o.salt.length !== SALT_BYTES || o.noncePrefix.length !== NONCE_PREFIX_BYTES) throw new AtRestError('ATREST_MISUSE', 'salt or nonce prefix length');
    this.header = { keyId: o.keyId, chunkSize: o.chunkSize ?? DEFAULT_CHUNK_SIZE, headLen: o.headLen ?? 0, salt: o.salt, noncePrefix: o.noncePrefix };
    this.headerBytes = encodeHeader(this.header);
    this.key = fileKey(o.key, this.header);
  }

  /** Where data chunks start in the file (after the header and the reserved head chunk). */
  get dataOffset(): number {
    return this.headerBytes.length + (this.header.headLen > 0 ? this.header.headLen + TAG_BYTES : 0);
  }

  /** Sealed bytes of every chunk completed by `plain` (possibly empty). */
  push(plain: Buffer): Buffer {
    if (this.finished) throw new AtRestError('ATREST_MISUSE', 'push after finish');
    this.pending.push(Buffer.from(plain)); // a copy: encoders reuse their output buffers
    this.pendingLen += plain.length;
    const cs = this.header.chunkSize;
    // Strictly more than a chunk: a chunk is sealed non-final only once data follows it, so the
    // final chunk always holds 0..chunkSize-1 bytes.
    if (this.pendingLen < cs) return Buffer.alloc(0);
    const all = Buffer.concat(this.pending, this.pendingLen);
    const out: Buffer[] = [];
    let o = 0;
    while (all.length - o >= cs) {
      out.push(sealChunk(this.key, this.headerBytes, this.header.noncePrefix, this.index++, false, all.subarray(o, o + cs)));
      o += cs;
    }
    const rest = all.subarray(o);
    this.pending = rest.length ? [Buffer.from(rest)] : [];
    this.pendingLen = rest.length;
    return Buffer.concat(out);
  }

  /** The final chunk (the bytes left, possibly none). */
  finish(): Buffer {
    if (this.finished) throw new AtRestError('ATREST_MISUSE', 'finish twice');
    this.finished = true;
    return sealChunk(this.key, this.headerBytes, this.header.noncePrefix, this.index, true, Buffer.concat(this.pending, this.pendingLen));
  }

  /** The head chunk (exactly headLen bytes), sealed once; it goes at headerBytes.length. */
  sealHead(plain: Buffer): Buffer {
    if (this.header.headLen === 0 || plain.length !== this.header.headLen || this.headSealed) throw new AtRestError('ATREST_MISUSE', 'head is sealed once with exactly headLen bytes');
    this.headSealed = true;
    return sealChunk(this.key, this.headerBytes, this.header.noncePrefix, 0, false, plain);
  }
}

/** Finds the master key for a key id (undefined: not configured). */
export type KeyLookup = (keyId: string) => Buffer | undefined;

/** Decrypts a file's bytes incrementally; every byte it returns has been authenticated. */
export class Opener {
  private buf: Buffer = Buffer.alloc(0);
  private header: FileHeader | null = null;
  private headerBytes: Buffer = Buffer.alloc(0);
  private key: Buffer = Buffer.alloc(0);
  private headDone = false;
  private index = 1;
  private ended = false;

  constructor(private readonly keys: KeyLookup) {}

  /** The header once read (its key id, for the record and logs). */
  get fileHeader(): FileHeader | null {
    return this.header;
  }

  push(bytes: Buffer): Buffer {
    if (this.ended) throw new AtRestError('ATREST_MISUSE', 'push after end');
    this.buf = this.buf.length ? Buffer.concat([this.buf, bytes]) : bytes;
    const out: Buffer[] = [];
    if (!this.header && !this.readHeader()) return Buffer.alloc(0);
    const h = this.header as FileHeader;
    if (!this.headDone) {
      if (h.headLen > 0) {
        if (this.buf.length < h.headLen + TAG_BYTES) return Buffer.alloc(0);
        out.push(openChunk(this.key, this.headerBytes, h.noncePrefix, 0, false, this.buf.subarray(0, h.headLen + TAG_BYTES)));
        this.buf = this.buf.subarray(h.headLen + TAG_BYTES);
      }
      this.headDone = true;
    }
    const sealedLen = h.chunkSize + TAG_BYTES;
    let o = 0;
    // Only a chunk followed by more bytes is opened as non-final (see Sealer.push).
    while (this.buf.length - o > sealedLen) {
      out.push(openChunk(this.key, this.headerBytes, h.noncePrefix, this.index++, false, this.buf.subarray(o, o + sealedLen)));
      o += sealedLen;
    }
    this.buf = Buffer.from(this.buf.subarray(o));
    return Buffer.concat(out);
  }

  /** The final chunk's plaintext; throws when the file ends early or was cut at a chunk boundary. */
  end(): Buffer {
    if (this.ended) throw new AtRestError('ATREST_MISUSE', 'end twice');
    this.ended = true;
    if (!this.header || !this.headDone) throw new AtRestError('ATREST_TRUNCATED', 'file ends inside its header');
    return openChunk(this.key, this.headerBytes, this.header.noncePrefix, this.index, true, this.buf);
  }

  private readHeader(): boolean {
    const parsed = parseHeader(this.buf);
    if (!parsed) return false;
    const master = this.keys(parsed.header.keyId);
    if (!master) throw new AtRestError('ATREST_KEY_UNKNOWN', `key ${parsed.header.keyId} is not configured`);
    this.header = parsed.header;
    this.headerBytes = Buffer.from(this.buf.subarray(0, parsed.length));
    this.key = fileKey(master, parsed.header);
    this.buf = this.buf.subarray(parsed.length);
    return true;
  }
}

/** Whole-buffer helpers (tests, small files). */
export function sealAll(o: SealerOptions, plain: Buffer, head?: Buffer): Buffer {
  const s = new Sealer(o);
  const body = Buffer.concat([s.push(plain), s.finish()]);
  return Buffer.concat([s.headerBytes, head ? s.sealHead(head) : Buffer.alloc(0), body]);
}

export function openAll(keys: KeyLookup, file: Buffer): Buffer {
  const o = new Opener(keys);
  return Buffer.concat([o.push(file), o.end()]);
}

/** A whole small document (a delivery record) sealed in the file format: header + chunks. */
export function sealBuffer(key: SpoolKey, plain: Buffer): Buffer {
  const s = new Sealer({ keyId: key.id, key: Buffer.from(key.key), salt: randomBytes(SALT_BYTES), noncePrefix: randomBytes(NONCE_PREFIX_BYTES) });
  return Buffer.concat([s.headerBytes, s.push(plain), s.finish()]);
}

/** The plaintext of sealBuffer's output; throws AtRestError when it does not authenticate. */
export function openBuffer(keys: KeyLookup, sealed: Buffer): Buffer {
  const o = new Opener(keys);
  const first = o.push(sealed);
  return Buffer.concat([first, o.end()]);
}
