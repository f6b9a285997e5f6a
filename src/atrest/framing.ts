import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { AtRestError } from './errors';

/**
 * The encrypted spool file format (pure: no I/O, randomness passed in).
 *
 * A streaming AEAD in the style of Tink's AES-GCM-HKDF streaming (and the STREAM construction of
 * Hoang, Reyhanitabar, Rogaway, Vizar 2015): the file is cut into chunks, each sealed with
 * AES-256-GCM (NIST SP 800-38D) under a per-file key derived by HKDF-SHA256 (RFC 5869) from the
 * master key and a random salt, so nonces never repeat across files. Each chunk's nonce and
 * additional data carry its index and a "final" flag, so chunks cannot be reordered, dropped,
 * duplicated or the file truncated at a chunk boundary without the open failing. The header is
 * part of every chunk's additional data, so no header field can be changed either.
 *
 *   header: magic "B2BREC" | version u8 (1) | alg u8 (1 = AES-256-GCM) | chunkSize u32 BE |
 *           headLen u16 BE | keyIdLen u8 | keyId | salt (16) | noncePrefix (7)
 *   then:   [head chunk, index 0, headLen plaintext bytes, only when headLen > 0]
 *           data chunks, index 1.., each chunkSize plaintext bytes + 16-byte tag; the last one,
 *           flagged final, holds 0..chunkSize-1 bytes (so it is always present and recognisable).
 *
 * The head chunk is a fixed-size region sealed once when the file is finished: a WAV header
 * carries the sizes known only then. Its space is reserved while recording, never sealed twice
 * (a GCM nonce must never protect two plaintexts).
 */
export const MAGIC = Buffer.from('B2BREC', 'ascii');
export const VERSION = 1;
export const ALG_AES_256_GCM = 1;
export const TAG_BYTES = 16;
export const SALT_BYTES = 16;
export const NONCE_PREFIX_BYTES = 7;
export const KEY_BYTES = 32;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const KEY_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface FileHeader {
  readonly keyId: string;
  readonly chunkSize: number;
  readonly headLen: number;
  readonly salt: Buffer;
  readonly noncePrefix: Buffer;
}

export function validKeyId(id: string): boolean {
  return KEY_ID_RE.test(id);
}

export function encodeHeader(h: FileHeader): Buffer {
  const id = Buffer.from(h.keyId, 'ascii');
  if (!validKeyId(h.keyId)) throw new AtRestError('ATREST_BAD_KEY_ID', 'key id must be 1-64 of [A-Za-z0-9._-]');
  if (h.salt.length !== SALT_BYTES || h.noncePrefix.length !== NONCE_PREFIX_BYTES) throw new AtRestError('ATREST_BAD_HEADER', 'salt or nonce prefix length');
  if (h.chunkSize < 1 || h.chunkSize > 0x7fffffff || h.headLen < 0 || h.headLen > 0xffff) throw new AtRestError('ATREST_BAD_HEADER', 'chunk or head size out of range');
  const fixed = Buffer.alloc(MAGIC.length + 1 + 1 + 4 + 2 + 1);
  MAGIC.copy(fixed, 0);
  let o = MAGIC.length;
  fixed.writeUInt8(VERSION, o++);
  fixed.writeUInt8(ALG_AES_256_GCM, o++);
  fixed.writeUInt32BE(h.chunkSize, o);
  o += 4;
  fixed.writeUInt16BE(h.headLen, o);
  o += 2;
  fixed.writeUInt8(id.length, o);
  return Buffer.concat([fixed, id, h.salt, h.noncePrefix]);
}

/** Whether the bytes start like an encrypted spool file (the magic alone). */
export function looksEncrypted(start: Buffer): boolean {
  return start.length >= MAGIC.length && start.subarray(0, MAGIC.length).equals(MAGIC);
}

/** Parses a header from the start of a file; null while more bytes are needed. */
export function parseHeader(buf: Buffer): { header: FileHeader; length: number } | null {
  const fixedLen = MAGIC.length + 9;
  if (buf.length < MAGIC.length) return null;
  if (!looksEncrypted(buf)) throw new AtRestError('ATREST_NOT_ENCRYPTED', 'no encrypted-file magic');
  if (buf.length < fixedLen) return null;
  let o = MAGIC.length;
  const version = buf.readUInt8(o++);
  const alg = buf.readUInt8(o++);
  if (version !== VERSION || alg !== ALG_AES_256_GCM) throw new AtRestError('ATREST_UNSUPPORTED', `version ${version} algorithm ${alg}`);
  const chunkSize = buf.readUInt32BE(o);
  o += 4;
  const headLen = buf.readUInt16BE(o);
  o += 2;
  const idLen = buf.readUInt8(o++);
  const length = o + idLen + SALT_BYTES + NONCE_PREFIX_BYTES;
  if (buf.length < length) return null;
  const keyId = buf.subarray(o, o + idLen).toString('ascii');
  if (!validKeyId(keyId) || chunkSize < 1 || chunkSize > 0x7fffffff) throw new AtRestError('ATREST_BAD_HEADER', 'malformed header');
  o += idLen;
  const salt = Buffer.from(buf.subarray(o, o + SALT_BYTES));
  const noncePrefix = Buffer.from(buf.subarray(o + SALT_BYTES, length));
  return { header: { keyId, chunkSize, headLen, salt, noncePrefix }, length };
}

/** The per-file key: HKDF-SHA256(master, salt, info = "b2bua spool v1" | keyId) (RFC 5869). */
export function fileKey(master: Buffer, h: FileHeader): Buffer {
  if (master.length !== KEY_BYTES) throw new AtRestError('ATREST_BAD_KEY', 'a key is 32 bytes');
  return Buffer.from(hkdfSync('sha256', master, h.salt, Buffer.from(`b2bua spool v1|${h.keyId}`), KEY_BYTES));
}

function nonceAndAad(headerBytes: Buffer, prefix: Buffer, index: number, final: boolean): { nonce: Buffer; aad: Buffer } {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail.writeUInt8(final ? 1 : 0, 4);
  return { nonce: Buffer.concat([prefix, tail]), aad: Buffer.concat([headerBytes, tail]) };
}

export function sealChunk(key: Buffer, headerBytes: Buffer, prefix: Buffer, index: number, final: boolean, plain: Buffer): Buffer {
  if (index > 0xffffffff) throw new AtRestError('ATREST_TOO_LARGE', 'chunk index overflow');
  const { nonce, aad } = nonceAndAad(headerBytes, prefix, index, final);
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  c.setAAD(aad);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

export function openChunk(key: Buffer, headerBytes: Buffer, prefix: Buffer, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_BYTES) throw new AtRestError('ATREST_AUTH_FAILED', `chunk ${index} too short`);
  const { nonce, aad } = nonceAndAad(headerBytes, prefix, index, final);
  const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]);
  } catch {
    throw new AtRestError('ATREST_AUTH_FAILED', `chunk ${index}${final ? ' (final)' : ''} failed authentication`);
  }
}

/** Plaintext length of a well-formed file of `fileSize` bytes (null when no layout fits). */
export function plaintextLength(fileSize: number, headerLength: number, h: FileHeader): number | null {
  const head = h.headLen > 0 ? h.headLen + TAG_BYTES : 0;
  const data = fileSize - headerLength - head;
  if (data < TAG_BYTES) return null;
  const full = Math.floor((data - TAG_BYTES) / (h.chunkSize + TAG_BYTES));
  const last = data - full * (h.chunkSize + TAG_BYTES) - TAG_BYTES;
  if (last < 0 || last >= h.chunkSize) return null;
  return h.headLen + full * h.chunkSize + last;
}
