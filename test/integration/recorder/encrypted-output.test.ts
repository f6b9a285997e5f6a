import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncoderPool } from '../../../src/recorder/encoder/pool';
import { looksEncrypted } from '../../../src/atrest/framing';
import { openAll } from '../../../src/atrest/stream';
import { keyFiles, keyRing } from '../../helpers/atrest';
import { decode, rms } from './decode';

// The recorder's real encoders (WAV, native lame, LAME/wasm) in a worker pool with a key: the
// file is sealed as it is written, and its plaintext is a normal recording.

const dir = mkdtempSync(join(tmpdir(), 'rec-enc-'));
const ring = keyRing(keyFiles(['rec1']).sources, 'rec1');
const pool = new EncoderPool(1, ring.active());
t.teardown(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

function tone(freq: number, n: number, offset: number): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * (i + offset)) / 8000));
  return x;
}

for (const [format, backend] of [['wav', 'lame-cli'], ['mp3', 'lame-cli'], ['mp3', 'wasm']] as const) {
  t.test(`${format} ${format === 'mp3' ? backend : ''} is encrypted as written and decrypts to the recording`, async (t) => {
    const path = join(dir, `r-${backend}.${format}`);
    const job = pool.open({ path, format, sampleRate: 16000, channelMode: 'stereo', legs: 2, mp3Backend: backend, mp3Quality: 7 });
    for (let off = 0; off < 16000; off += 800) job.write([tone(440, 800, off), tone(1000, 800, off)]);
    const enc = await job.close();
    const sealed = readFileSync(path);
    t.ok(looksEncrypted(sealed), 'the spool file is encrypted');
    const plain = openAll(ring.lookup, sealed);
    t.equal(enc?.bytes, plain.length, 'reported size is the plaintext size');
    if (format === 'wav') {
      t.equal(plain.subarray(0, 4).toString('ascii'), 'RIFF');
      t.equal(plain.readUInt32LE(40), plain.length - 44, 'WAV header carries the final data size (head sealed at close)');
    }
    const out = join(dir, `plain-${backend}.${format}`);
    writeFileSync(out, plain);
    const d = decode(out);
    t.equal(d.channels, 2);
    // lame writing to a pipe has no LAME tag to trim its delay: up to ~0.1 s more (README, Known limits).
    t.ok(d.durationSec >= 1.99 && d.durationSec < 2.15, `decoded ${d.durationSec.toFixed(3)} s of 2 s`);
    t.ok(rms(d.ch[0], 4000, 28000) > 3000 && rms(d.ch[1], 4000, 28000) > 3000, 'both legs carry their tone');
  });
}
