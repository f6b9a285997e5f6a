import t from 'tap';
import { AtRestError } from '../../../src/atrest/errors';
import { TAG_BYTES, parseHeader, plaintextLength } from '../../../src/atrest/framing';
import { Opener, openAll, sealAll, type SealerOptions } from '../../../src/atrest/stream';

const K1 = Buffer.alloc(32, 1);
const K2 = Buffer.alloc(32, 2);
const keys = (id: string): Buffer | undefined => ({ k1: K1, k2: K2 })[id];
const opts = (o: Partial<SealerOptions> = {}): SealerOptions => ({
  keyId: 'k1', key: K1, salt: Buffer.alloc(16, 7), noncePrefix: Buffer.alloc(7, 9), chunkSize: 16, ...o,
});
const plain = Buffer.from(Array.from({ length: 70 }, (_, i) => i)); // 4 full chunks of 16 + final of 6
const head = Buffer.from('WAVEHEADER-44-bytes-long-for-the-test-please'.slice(0, 12));

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof AtRestError ? err.code : `other: ${(err as Error).message}`;
  }
}

t.test('round trip for sizes around chunk boundaries, with and without a head', (t) => {
  for (const n of [0, 1, 15, 16, 17, 32, 70]) {
    for (const h of [undefined, head]) {
      const p = plain.subarray(0, n);
      const file = sealAll(opts({ headLen: h?.length ?? 0 }), p, h);
      const want = h ? Buffer.concat([h, p]) : p;
      t.same(openAll(keys, file), want, `n=${n} head=${Boolean(h)}`);
      const parsed = parseHeader(file);
      t.equal(plaintextLength(file.length, parsed?.length ?? 0, parsed!.header), want.length, `length n=${n}`);
    }
  }
  t.end();
});

t.test('streams in any split of the input', (t) => {
  const file = sealAll(opts({ headLen: head.length }), plain, head);
  for (const step of [1, 3, 16, 32, 1000]) {
    const o = new Opener(keys);
    const out: Buffer[] = [];
    for (let i = 0; i < file.length; i += step) out.push(o.push(file.subarray(i, i + step)));
    out.push(o.end());
    t.same(Buffer.concat(out), Buffer.concat([head, plain]), `step ${step}`);
  }
  t.end();
});

t.test('every tampering, truncation, reordering or wrong key is refused', (t) => {
  const file = sealAll(opts({ headLen: head.length }), plain, head);
  const hdrLen = parseHeader(file)!.length;
  const headEnd = hdrLen + head.length + TAG_BYTES;
  const c = 16 + TAG_BYTES; // sealed chunk size
  const flip = (at: number): Buffer => {
    const b = Buffer.from(file);
    b[at] ^= 0x01;
    return b;
  };
  const swap = (i: number, j: number): Buffer => {
    const b = Buffer.from(file);
    const ci = file.subarray(headEnd + i * c, headEnd + (i + 1) * c);
    const cj = file.subarray(headEnd + j * c, headEnd + (j + 1) * c);
    ci.copy(b, headEnd + j * c);
    cj.copy(b, headEnd + i * c);
    return b;
  };
  const table: Array<[string, Buffer, string, typeof keys?]> = [
    ['magic', flip(0), 'ATREST_NOT_ENCRYPTED'],
    ['version', flip(6), 'ATREST_UNSUPPORTED'],
    ['chunk size field', flip(10), 'ATREST_AUTH_FAILED'],
    ['head length field', flip(13), 'ATREST_AUTH_FAILED'],
    ['head length field made longer than the file', flip(12), 'ATREST_TRUNCATED'],
    ['key id', flip(hdrLen - 7 - 16 - 1), 'ATREST_KEY_UNKNOWN'],
    ['salt', flip(hdrLen - 7 - 1), 'ATREST_AUTH_FAILED'],
    ['nonce prefix', flip(hdrLen - 1), 'ATREST_AUTH_FAILED'],
    ['head ciphertext', flip(hdrLen + 2), 'ATREST_AUTH_FAILED'],
    ['head tag', flip(headEnd - 1), 'ATREST_AUTH_FAILED'],
    ['data chunk ciphertext', flip(headEnd + c + 3), 'ATREST_AUTH_FAILED'],
    ['data chunk tag', flip(headEnd + c - 1), 'ATREST_AUTH_FAILED'],
    ['final chunk', flip(file.length - 1), 'ATREST_AUTH_FAILED'],
    ['chunks 1 and 2 swapped', swap(0, 1), 'ATREST_AUTH_FAILED'],
    ['final chunk dropped (cut at a boundary)', file.subarray(0, file.length - (6 + TAG_BYTES)), 'ATREST_AUTH_FAILED'],
    ['cut inside a chunk', file.subarray(0, file.length - 3), 'ATREST_AUTH_FAILED'],
    ['cut inside the head', file.subarray(0, hdrLen + 5), 'ATREST_TRUNCATED'],
    ['cut inside the header', file.subarray(0, hdrLen - 3), 'ATREST_TRUNCATED'],
    ['a chunk duplicated', Buffer.concat([file.subarray(0, headEnd + c), file.subarray(headEnd, file.length)]), 'ATREST_AUTH_FAILED'],
    ['bytes appended', Buffer.concat([file, Buffer.alloc(1)]), 'ATREST_AUTH_FAILED'],
    ['unsealed head (zeros, as a killed recording leaves it)', Buffer.concat([file.subarray(0, hdrLen), Buffer.alloc(head.length + TAG_BYTES), file.subarray(headEnd)]), 'ATREST_AUTH_FAILED'],
    ['wrong key under the right id', file, 'ATREST_AUTH_FAILED', (id) => (id === 'k1' ? K2 : undefined)],
    ['key not configured', file, 'ATREST_KEY_UNKNOWN', () => undefined],
    ['plain file', plain, 'ATREST_NOT_ENCRYPTED'],
  ];
  for (const [name, bytes, want, k] of table) t.equal(codeOf(() => openAll(k ?? keys, bytes)), want, name);
  t.end();
});

t.test('the same plaintext under two salts gives unrelated ciphertexts; rotation keeps old files readable', (t) => {
  const a = sealAll(opts(), plain);
  const b = sealAll(opts({ salt: Buffer.alloc(16, 8) }), plain);
  t.not(a.subarray(-22).toString('hex'), b.subarray(-22).toString('hex'));
  const old = sealAll(opts({ keyId: 'k1', key: K1 }), plain);
  const fresh = sealAll(opts({ keyId: 'k2', key: K2 }), plain);
  t.same(openAll(keys, old), plain, 'file of the rotated-out key');
  t.same(openAll(keys, fresh), plain, 'file of the active key');
  t.equal(codeOf(() => openAll((id) => (id === 'k2' ? K2 : undefined), old)), 'ATREST_KEY_UNKNOWN', 'old key removed: refused, not misread');
  t.end();
});
