/**
 * The thread's PCM pool (encoder/pcm-pool.ts): whole arrays come back to the next taker of the
 * same length, views never (their buffer is shared), and what it keeps is bounded.
 */
import t from 'tap';
import { givePcm, pooledPcm, takePcm } from '../../../src/recorder/encoder/pcm-pool';

t.test('what may come back, and to whom', (t) => {
  const rows: { name: string; give: () => Int16Array; takeLength: number; reused: boolean }[] = [
    { name: 'a whole array, same length', give: () => new Int16Array(4000), takeLength: 4000, reused: true },
    { name: 'a whole array, another length', give: () => new Int16Array(4000), takeLength: 16000, reused: false },
    { name: 'a view at offset 0 (a short last batch)', give: () => new Int16Array(4000).subarray(0, 1000), takeLength: 1000, reused: false },
    { name: 'a leg of a packed message', give: () => new Int16Array(8000).subarray(4000), takeLength: 4000, reused: false },
    { name: 'an empty array', give: () => new Int16Array(0), takeLength: 0, reused: false },
  ];
  for (const r of rows) {
    const before = pooledPcm();
    const a = r.give();
    givePcm(a);
    const b = takePcm(r.takeLength);
    t.equal(b === a, r.reused, `${r.name}: ${r.reused ? 'reused' : 'not reused'}`);
    t.equal(b.length, r.takeLength, `${r.name}: the length asked for`);
    t.equal(pooledPcm(), before + (r.reused || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || a.length === 0 ? 0 : 1), `${r.name}: pool size`);
    while (pooledPcm() > 0) takePcm(4000); // empty it for the next row
  }
  t.end();
});

t.test('an array is handed to one taker at a time', (t) => {
  const a = new Int16Array(3000);
  givePcm(a);
  const first = takePcm(3000);
  const second = takePcm(3000);
  t.equal(first, a, 'the first taker gets it');
  t.not(second, a, 'the second gets a new one');
  t.end();
});

t.test('the pool keeps at most 64 arrays of a length', (t) => {
  const arrays = Array.from({ length: 100 }, () => new Int16Array(2222));
  for (const a of arrays) givePcm(a);
  let kept = 0;
  const seen = new Set<Int16Array>();
  for (let i = 0; i < 100; i++) {
    const b = takePcm(2222);
    if (arrays.some((a) => a === b) && !seen.has(b)) kept++;
    seen.add(b);
  }
  t.equal(kept, 64, '64 kept, the rest left to the collector');
  t.end();
});
