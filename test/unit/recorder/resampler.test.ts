import t from 'tap';
import { Resampler } from '../../../src/recorder/resampler';
import { tone, goertzel } from './dsp';

const RATES = [8000, 16000, 22050, 32000, 44100, 48000];

function run(rate: number, input: Int16Array, chunk: number): Int16Array {
  const r = new Resampler({ inRate: 8000, outRate: rate });
  const parts: Int16Array[] = [];
  for (let i = 0; i < input.length; i += chunk) {
    const c = input.subarray(i, i + chunk);
    const want = r.outputCount(c.length);
    const o = r.process(c);
    if (o.length !== want) throw new Error('outputCount disagrees with process');
    parts.push(o);
  }
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

t.test('length, tone and amplitude preserved at every record_sample_rate', (t) => {
  const input = tone(1000, 8000, 8000, 10000);
  for (const rate of RATES) {
    const out = run(rate, input, 160);
    t.equal(out.length, rate, `${rate}: one second in, one second out`);
    const steady = out.subarray(Math.floor(rate / 10));
    const a1k = goertzel(steady, rate, 1000);
    t.ok(a1k > 9800 && a1k < 10200, `${rate}: 1 kHz amplitude ${a1k.toFixed(0)} within 2%`);
    if (rate > 8000) {
      // The image of 1 kHz around the 8 kHz input rate must be filtered out (>= 60 dB down).
      const image = goertzel(steady, rate, 7000);
      t.ok(image < 10, `${rate}: 7 kHz image ${image.toFixed(2)} suppressed`);
    }
  }
  t.end();
});

t.test('chunking does not change the output (state carries across chunks)', (t) => {
  const input = tone(400, 8000, 4000, 8000);
  for (const rate of [16000, 22050, 44100]) {
    const whole = run(rate, input, 4000);
    const odd = run(rate, input, 37);
    t.same([...odd], [...whole], `${rate}: 37-sample chunks equal one chunk`);
  }
  t.end();
});

t.test('identity at 8 kHz and downsampling refused', (t) => {
  const r = new Resampler({ inRate: 8000, outRate: 8000 });
  t.same([...r.process(Int16Array.of(1, -2, 3))], [1, -2, 3]);
  t.throws(() => new Resampler({ inRate: 16000, outRate: 8000 }), RangeError);
  t.same([new Resampler({ inRate: 8000, outRate: 22050 }).up, new Resampler({ inRate: 8000, outRate: 22050 }).down], [441, 160]);
  t.end();
});

t.test('telephone band: flat to 3 kHz, images of 3.4 kHz at least 50 dB down', (t) => {
  for (const rate of [16000, 44100, 48000]) {
    for (const [f, minAmp] of [[300, 9800], [3000, 9400], [3400, 7000]] as const) {
      const out = run(rate, tone(f, 8000, 8000, 10000), 160).subarray(Math.floor(rate / 10));
      const a = goertzel(out, rate, f);
      t.ok(a > minAmp && a < 10200, `${rate}: ${f} Hz amplitude ${a.toFixed(0)}`);
      const image = goertzel(out, rate, 8000 - f);
      t.ok(image < a / 316, `${rate}: image of ${f} Hz at ${8000 - f} Hz is ${image.toFixed(1)} (>= 50 dB down)`);
    }
  }
  t.end();
});
