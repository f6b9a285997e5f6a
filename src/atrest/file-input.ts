import { createReadStream, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtRestError } from './errors';
import { NONCE_PREFIX_BYTES, SALT_BYTES, looksEncrypted, parseHeader, plaintextLength } from './framing';
import type { SpoolKey } from './keyring';
import { Opener, Sealer, type KeyLookup } from './stream';

const HEADER_PROBE = 256;

/** What a spool file is: plain, or encrypted with a key id; `size` is the plaintext size. */
export interface SpoolFileInfo {
  readonly keyId: string | null;
  readonly size: number;
}

export async function inspectFile(path: string): Promise<SpoolFileInfo> {
  const fh = await fsp.open(path, 'r');
  try {
    const st = await fh.stat();
    const probe = Buffer.alloc(Math.min(HEADER_PROBE, st.size));
    await fh.read(probe, 0, probe.length, 0);
    if (!looksEncrypted(probe)) return { keyId: null, size: st.size };
    const parsed = parseHeader(probe);
    if (!parsed) throw new AtRestError('ATREST_TRUNCATED', 'file ends inside its header');
    const size = plaintextLength(st.size, parsed.length, parsed.header);
    if (size === null) throw new AtRestError('ATREST_TRUNCATED', 'file size fits no chunk layout');
    return { keyId: parsed.header.keyId, size };
  } finally {
    await fh.close();
  }
}

/** A Transform from an encrypted file's bytes to its authenticated plaintext (errors with AtRestError). */
export function decryptStream(keys: KeyLookup): Transform {
  const opener = new Opener(keys);
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        const out = opener.push(chunk);
        cb(null, out.length ? out : undefined);
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        const out = opener.end();
        cb(null, out.length ? out : undefined);
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}

/** The plaintext of a spool file as a stream: decrypted on the fly when it is encrypted. */
export function openPlain(path: string, encrypted: boolean, keys: KeyLookup): Readable {
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!encrypted) return raw;
  const t = decryptStream(keys);
  raw.on('error', (err) => t.destroy(err));
  return raw.pipe(t);
}

/** Authenticates every chunk of an encrypted file without keeping the plaintext. */
export async function verifyFile(path: string, keys: KeyLookup): Promise<void> {
  await pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), decryptStream(keys), async function* (src: AsyncIterable<Buffer>) {
    for await (const _ of src) { /* discard */ }
  });
}

/** Writes `src` (plain) encrypted to `dst` (owner-only), fsynced. */
export async function encryptFile(src: string, dst: string, key: SpoolKey): Promise<void> {
  const sealer = new Sealer({ keyId: key.id, key: Buffer.from(key.key), salt: randomBytes(SALT_BYTES), noncePrefix: randomBytes(NONCE_PREFIX_BYTES) });
  const fh = await fsp.open(dst, 'w', 0o600);
  try {
    await fh.write(sealer.headerBytes);
    for await (const chunk of createReadStream(src, { highWaterMark: 256 * 1024 })) {
      const sealed = sealer.push(chunk as Buffer);
      if (sealed.length) await fh.write(sealed);
    }
    await fh.write(sealer.finish());
    await fh.chmod(0o600);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
