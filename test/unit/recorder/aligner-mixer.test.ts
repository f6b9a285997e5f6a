import t from 'tap';
import { LegAligner } from '../../../src/recorder/aligner';
import { mixInto, type ChannelMode } from '../../../src/recorder/mixer';

/** A frame of 4 samples of value v at pos (null: missing) into the aligner. */
const push = (a: LegAligner, pos: number, v: number | null) => a.frame(pos, v === null ? null : new Int16Array(4).fill(v), 4);
const read = (a: LegAligner, n: number) => {
  const out = new Int16Array(n + 2).fill(-7); // the guard samples must stay untouched
  a.readInto(out, 1, n);
  if (out[0] !== -7 || out[n + 1] !== -7) throw new Error('readInto wrote outside its range');
  return [...out.subarray(1, n + 1)];
};
const mixLegs = (legs: Int16Array[], mode: ChannelMode) => {
  const out = new Int16Array(legs[0].length * (mode === 'stereo' ? 2 : 1));
  mixInto(legs, legs[0].length, mode, out);
  return out;
};

t.test('aligner scenarios', (t) => {
  const cases: Array<{ name: string; start: number; ops: Array<['push', number, number | null] | ['fill', number] | ['discard', number]>; want: number[]; overlap?: number }> = [
    { name: 'contiguous frames', start: 0, ops: [['push', 0, 1], ['push', 4, 2]], want: [1, 1, 1, 1, 2, 2, 2, 2] },
    { name: 'leg starting late gets leading silence', start: 0, ops: [['push', 2, 5]], want: [0, 0, 5, 5, 5, 5] },
    { name: 'missing frame is silence', start: 0, ops: [['push', 0, 1], ['push', 4, null], ['push', 8, 3]], want: [1, 1, 1, 1, 0, 0, 0, 0, 3, 3, 3, 3] },
    { name: 'overlapping new segment is trimmed', start: 0, ops: [['push', 0, 1], ['push', 2, 7]], want: [1, 1, 1, 1, 7, 7], overlap: 2 },
    { name: 'fully overlapped frame dropped', start: 0, ops: [['push', 0, 1], ['push', 0, 9]], want: [1, 1, 1, 1], overlap: 4 },
    { name: 'fillTo pads silence, then frames continue', start: 10, ops: [['push', 10, 1], ['fill', 17], ['push', 17, 2]], want: [1, 1, 1, 1, 0, 0, 0, 2, 2, 2, 2] },
    { name: 'discardBefore drops the ringing time', start: 0, ops: [['push', 0, 1], ['push', 4, 2], ['discard', 6]], want: [2, 2] },
    { name: 'discardBefore past the end moves the origin', start: 0, ops: [['push', 0, 1], ['discard', 100], ['push', 98, 3]], want: [3, 3] },
  ];
  for (const c of cases) {
    const a = new LegAligner(c.start);
    for (const op of c.ops) {
      if (op[0] === 'push') push(a, op[1], op[2]);
      else if (op[0] === 'fill') a.fillTo(op[1]);
      else a.discardBefore(op[1]);
    }
    t.same(read(a, a.available), c.want, c.name);
    if (c.overlap !== undefined) t.equal(a.overlapDropped, c.overlap, `${c.name}: overlap counted`);
  }
  t.end();
});

t.test('aligner reads across chunks in pieces and tracks positions', (t) => {
  const a = new LegAligner(100);
  push(a, 100, 1);
  a.fillTo(1_000_000); // a long silence costs a count, not memory
  t.equal(a.available, 999_900);
  t.same(read(a, 3), [1, 1, 1]);
  t.same(read(a, 3), [1, 0, 0]);
  t.equal(a.position, 106);
  t.equal(a.end, 1_000_000);
  t.throws(() => read(a, 1_000_000), RangeError);
  t.end();
});

t.test('mixer layouts', (t) => {
  const L = Int16Array.of(1, 2, 30000);
  const R = Int16Array.of(-1, -2, 30000);
  const cases: Array<[string, Int16Array[], 'stereo' | 'mono', number[]]> = [
    ['stereo interleave: left caller, right callee', [L, R], 'stereo', [1, -1, 2, -2, 30000, 30000]],
    ['mono sum with clipping', [L, R], 'mono', [0, 0, 32767]],
    ['mono negative clipping', [Int16Array.of(-30000), Int16Array.of(-30000)], 'mono', [-32768]],
    ['single leg mono', [L], 'mono', [1, 2, 30000]],
    ['single leg stereo duplicates', [L], 'stereo', [1, 1, 2, 2, 30000, 30000]],
  ];
  for (const [name, legs, mode, want] of cases) t.same([...mixLegs(legs, mode)], want, name);
  t.throws(() => mixLegs([L, Int16Array.of(1)], 'stereo'), RangeError, 'unequal legs');
  t.end();
});

t.test('aligner equals a plain-array model over random frames, gaps, overlaps, fills and reads', (t) => {
  // The model: every call-clock position written once, in order, silence where nothing came.
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let round = 0; round < 20; round++) {
    const a = new LegAligner(0);
    const model: number[] = [];
    let end = 0;
    let got: number[] = [];
    let want: number[] = [];
    for (let op = 0; op < 400; op++) {
      const k = rnd(10);
      if (k < 6) {
        const n = 1 + rnd(300);
        const pos = end + rnd(400) - 150; // gaps and overlaps
        const v = k === 5 ? null : Int16Array.from({ length: n }, () => rnd(60000) - 30000);
        a.frame(pos, v, n);
        for (let i = Math.max(0, end - pos); i < n; i++) {
          while (end < pos + i) model[end++] = 0;
          model[end++] = v === null ? 0 : v[i];
        }
      } else if (k < 8) {
        const to = end + rnd(3000);
        a.fillTo(to);
        while (end < to) model[end++] = 0;
      } else {
        const n = rnd(a.available + 1);
        got = got.concat(read(a, n));
      }
    }
    got = got.concat(read(a, a.available));
    want = model.slice(0, end);
    t.equal(got.length, want.length, `round ${round}: length`);
    t.ok(got.every((x, i) => x === want[i]), `round ${round}: same samples`);
  }
  t.end();
});

t.test('a stall\'s queue is not kept: the emptied buffer goes back to its first size, the audio intact', (t) => {
  const a = new LegAligner(0);
  const first = a.capacity;
  const frame = new Int16Array(160);
  // 5 s of frames queued before one read (a thread that stalled), each frame its own value.
  for (let k = 0; k < 250; k++) a.frame(k * 160, frame.fill(k + 1), 160);
  t.ok(a.capacity >= 40000, `grew to hold the 5 s: ${a.capacity} samples`);
  const out = new Int16Array(40000);
  a.readInto(out, 0, 40000);
  t.equal(a.capacity, first, `read empty: back to ${first} samples`);
  t.ok(out.every((v, i) => v === Math.floor(i / 160) + 1), 'every sample read as it was queued');
  // Steady state (a tick's read at a time) does not churn: the buffer stays as it is.
  for (let k = 250; k < 300; k++) {
    a.frame(k * 160, frame.fill(7), 160);
    a.readInto(out, 0, 160);
  }
  t.equal(a.capacity, first, 'small reads keep the first buffer');
  t.end();
});
