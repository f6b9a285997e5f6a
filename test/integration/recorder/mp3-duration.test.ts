import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncoderPool } from '../../../src/recorder/encoder/pool';
import { MP3_SAMPLE_RATES } from '../../../src/recorder/mp3-params';
import { decode } from './decode';

// Every rate the policy allows x stereo/mono, through the real path (encoder worker: resampler,
// mixer, native lame at -q 7). The decoded length must be the samples written, within one MP3
// frame (1152 samples MPEG-1, 576 MPEG-2/2.5): before the fix mono at <= 24 kHz lost its
// LAME tag and decoded 0.14-0.16 s long, and 44.1/48 kHz mono came out resampled to 32 kHz.

const dir = mkdtempSync(join(tmpdir(), 'rec-mp3dur-'));
const pool = new EncoderPool(1);
t.teardown(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

const LEG_SAMPLES_8K = 16000; // 2.000 s per leg at 8 kHz
const CHUNK = 800; // 100 ms, as the session sends

function tone(freq: number, n: number, offset: number): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * (i + offset)) / 8000));
  return x;
}

for (const rate of MP3_SAMPLE_RATES) {
  for (const channelMode of ['mono', 'stereo'] as const) {
    t.test(`${rate} Hz ${channelMode}`, async (t) => {
      const path = join(dir, `r${rate}-${channelMode}.mp3`);
      const job = pool.open({ path, format: 'mp3', sampleRate: rate, channelMode, legs: 2, mp3Backend: 'lame-cli', mp3Quality: 7 });
      for (let off = 0; off < LEG_SAMPLES_8K; off += CHUNK) job.write([tone(440, CHUNK, off), tone(1000, CHUNK, off)]);
      const enc = await job.close();
      const expected = (LEG_SAMPLES_8K * rate) / 8000;
      t.ok(enc, 'file written');
      t.equal(enc?.frames, expected, 'encoder fed exactly 2 s at the output rate');
      const d = decode(path);
      t.equal(d.sampleRate, rate, 'file is at the requested rate (lame did not pick another)');
      t.equal(d.channels, channelMode === 'stereo' ? 2 : 1);
      const frameLen = rate >= 32000 ? 1152 : 576;
      const got = d.ch[0].length;
      t.ok(Math.abs(got - expected) <= frameLen, `decoded ${got} samples, expected ${expected} +- ${frameLen}`);
      t.ok(Math.abs(d.durationSec - 2) < 0.1, `decoded ${d.durationSec.toFixed(4)} s of 2 s`);
    });
  }
}
