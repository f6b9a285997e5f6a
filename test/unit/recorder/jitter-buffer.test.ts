import t from 'tap';
import { JitterBuffer, PushOutcome, type JitterOptions } from '../../../src/recorder/jitter-buffer';
import { FrameCollector, type Frame } from './dsp';

const F = 160;
const opts = { frameSamples: F, windowSamples: 640, maxDriftSamples: 8000 };

interface P {
  seq: number;
  ts: number;
  at: number;
  ssrc?: number;
  n?: number;
}
const pkt = (p: P) => ({
  sequenceNumber: p.seq & 0xffff,
  timestamp: p.ts >>> 0,
  ssrc: p.ssrc ?? 1,
  arrival: p.at,
  samples: new Int16Array(p.n ?? F).fill(p.seq & 0x7fff),
});
/** A JitterBuffer whose pull() and flush() return the frames released to its sink. */
class Jb {
  private readonly out = new FrameCollector();
  private readonly jb: JitterBuffer;
  constructor(o: JitterOptions) {
    this.jb = new JitterBuffer(o, this.out);
  }
  get capacity(): number {
    return this.jb.capacity;
  }
  push(p: ReturnType<typeof pkt>): PushOutcome {
    return this.jb.push(p);
  }
  stats(): ReturnType<JitterBuffer['stats']> {
    return this.jb.stats();
  }
  pull(horizon: number, finalBefore?: number): Frame[] {
    this.jb.pull(horizon, finalBefore);
    return this.out.take();
  }
  flush(): Frame[] {
    this.jb.flush();
    return this.out.take();
  }
}
/** A frame as [pos, value of its first sample or 'missing']. */
const show = (fs: Frame[]) => fs.map((f) => [f.pos, f.samples === null ? 'missing' : f.samples[0]]);
/** In-order 20 ms packets: seq s, ts s*160, arrival 1000 + s*160. */
const seqs = (...s: number[]): P[] => s.map((k) => ({ seq: k, ts: k * F, at: 1000 + k * F }));

t.test('push/flush scenarios', (t) => {
  const cases: Array<{ name: string; in: P[]; outcomes?: PushOutcome[]; frames: Array<[number, number | string]>; stats?: Record<string, number> }> = [
    {
      name: 'in order',
      in: seqs(0, 1, 2, 3),
      outcomes: [PushOutcome.NewSegment, PushOutcome.Accepted, PushOutcome.Accepted, PushOutcome.Accepted],
      frames: [[1000, 0], [1160, 1], [1320, 2], [1480, 3]],
      stats: { received: 4, lost: 0, late: 0, duplicates: 0, segments: 1 },
    },
    {
      name: 'reordered within the window',
      in: seqs(0, 2, 1, 3),
      frames: [[1000, 0], [1160, 1], [1320, 2], [1480, 3]],
      stats: { received: 4, lost: 0 },
    },
    {
      name: 'reordered before the first packet, nothing released yet',
      in: seqs(1, 0, 2),
      outcomes: [PushOutcome.NewSegment, PushOutcome.Accepted, PushOutcome.Accepted],
      frames: [[1000, 0], [1160, 1], [1320, 2]],
      stats: { lost: 0 },
    },
    {
      name: 'duplicate dropped',
      in: seqs(0, 1, 1, 2),
      outcomes: [PushOutcome.NewSegment, PushOutcome.Accepted, PushOutcome.Duplicate, PushOutcome.Accepted],
      frames: [[1000, 0], [1160, 1], [1320, 2]],
      stats: { received: 3, duplicates: 1, lost: 0 },
    },
    {
      name: 'loss becomes an explicit missing frame',
      in: seqs(0, 1, 3, 4),
      frames: [[1000, 0], [1160, 1], [1320, 'missing'], [1480, 3], [1640, 4]],
      stats: { received: 4, lost: 1 },
    },
    {
      name: 'sequence and timestamp wrap',
      in: [
        { seq: 65534, ts: 2 ** 32 - 320, at: 0 },
        { seq: 65535, ts: 2 ** 32 - 160, at: 160 },
        { seq: 0, ts: 0, at: 320 },
        { seq: 1, ts: 160, at: 480 },
      ],
      frames: [[0, 32766], [160, 32767], [320, 0], [480, 1]],
      stats: { received: 4, lost: 0, segments: 1 },
    },
    {
      name: 'SSRC change starts a new segment placed by arrival',
      in: [...seqs(0, 1), { seq: 900, ts: 123456, at: 1000 + 2 * F + 40, ssrc: 2 }, { seq: 901, ts: 123616, at: 1000 + 3 * F + 40, ssrc: 2 }],
      outcomes: [PushOutcome.NewSegment, PushOutcome.Accepted, PushOutcome.NewSegment, PushOutcome.Accepted],
      frames: [[1000, 0], [1160, 1], [1360, 900], [1520, 901]],
      stats: { segments: 2, lost: 0 },
    },
    {
      name: 'timestamp jump (same SSRC) re-anchors instead of inserting silence',
      in: [...seqs(0, 1), { seq: 2, ts: 5_000_000, at: 1320 }, { seq: 3, ts: 5_000_160, at: 1480 }],
      outcomes: [PushOutcome.NewSegment, PushOutcome.Accepted, PushOutcome.NewSegment, PushOutcome.Accepted],
      frames: [[1000, 0], [1160, 1], [1320, 2], [1480, 3]],
      stats: { segments: 2, lost: 0 },
    },
    {
      name: 'packets skipped across a re-anchor of the same SSRC count as lost',
      in: [...seqs(0, 1), { seq: 5, ts: 5_000_000, at: 1320 + 3 * F }, { seq: 6, ts: 5_000_160, at: 1480 + 3 * F }],
      frames: [[1000, 0], [1160, 1], [1800, 5], [1960, 6]],
      stats: { segments: 2, lost: 3 },
    },
    {
      name: 'gap longer than the ring (silence suppression) is not materialised as missing frames',
      in: [...seqs(0, 1), { seq: 2, ts: 2 * F + 8000, at: 1000 + 2 * F + 8000 }],
      frames: [[1000, 0], [1160, 1], [9320, 2]],
      stats: { segments: 1, lost: 0 },
    },
    {
      name: '30 ms packets are re-framed into 20 ms frames',
      in: [
        { seq: 0, ts: 0, at: 0, n: 240 },
        { seq: 1, ts: 240, at: 240, n: 240 },
      ],
      frames: [[0, 0], [160, 0], [320, 1]],
    },
  ];
  for (const c of cases) {
    const jb = new Jb(opts);
    const outcomes = c.in.map((p) => jb.push(pkt(p)));
    if (c.outcomes) t.same(outcomes, c.outcomes, `${c.name}: outcomes`);
    t.same(show(jb.flush()), c.frames, `${c.name}: frames`);
    const st = jb.stats();
    for (const [k, v] of Object.entries(c.stats ?? {})) t.equal(st[k as keyof typeof st], v, `${c.name}: ${k}`);
  }
  t.end();
});

t.test('lost: which gaps count (packets numbered between two received packets of one SSRC run)', (t) => {
  const R = 2 * F; // arrival of the packet after seqs(0, 1)
  const cases: Array<{ name: string; in: P[]; lost: number; late?: number; segments: number }> = [
    { name: 'no gap', in: seqs(0, 1, 2), lost: 0, segments: 1 },
    { name: 'hole inside a segment', in: seqs(0, 1, 4, 5), lost: 2, segments: 1 },
    {
      name: 'timestamp jump, same SSRC, seq continuous (DTX / re-based clock): nothing lost',
      in: [...seqs(0, 1), { seq: 2, ts: 7_000_000, at: 1000 + R }],
      lost: 0,
      segments: 2,
    },
    {
      name: 'timestamp jump, same SSRC, 10 packets skipped',
      in: [...seqs(0, 1), { seq: 12, ts: 7_000_000, at: 1000 + R + 10 * F }, { seq: 13, ts: 7_000_160, at: 1000 + R + 11 * F }],
      lost: 10,
      segments: 2,
    },
    {
      name: 'long stall (timestamps follow, arrival far later), 100 packets skipped',
      in: [...seqs(0, 1), { seq: 102, ts: 102 * F, at: 1000 + 102 * F + 9000 }],
      lost: 100,
      segments: 2,
    },
    {
      name: 'hole across a re-anchor with sequence wrap',
      in: [{ seq: 65534, ts: 0, at: 0 }, { seq: 65535, ts: F, at: F }, { seq: 3, ts: 9_000_000, at: 6 * F }],
      lost: 3,
      segments: 2,
    },
    {
      name: 'holes in both segments and across the re-anchor add up',
      in: [...seqs(0, 2), { seq: 5, ts: 7_000_000, at: 1000 + 5 * F }, { seq: 7, ts: 7_000_000 + 2 * F, at: 1000 + 7 * F }],
      lost: 1 + 2 + 1,
      segments: 2,
    },
    {
      name: 'sequence restart (jump > 3000) with a timestamp jump: not loss',
      in: [...seqs(0, 1), { seq: 5000, ts: 7_000_000, at: 1000 + R }, { seq: 5002, ts: 7_000_320, at: 1000 + R + 2 * F }],
      lost: 1,
      segments: 2,
    },
    {
      name: 'sequence restart with continuous timestamps: new sequence run, jump not loss',
      in: [...seqs(0, 1), { seq: 20000, ts: 2 * F, at: 1000 + R }, { seq: 20001, ts: 3 * F, at: 1000 + R + F }],
      lost: 0,
      segments: 1,
    },
    {
      name: 'sequence jump beyond half the space (would read as backwards) with continuous timestamps',
      in: [...seqs(0, 1), { seq: 40000, ts: 2 * F, at: 1000 + R }, { seq: 40002, ts: 4 * F, at: 1000 + R + 2 * F }],
      lost: 1,
      segments: 1,
    },
    {
      name: 'SSRC change: what the old source sent after its last packet is unknowable',
      in: [...seqs(0, 1), { seq: 500, ts: 99, at: 1000 + R, ssrc: 2 }, { seq: 502, ts: 99 + 2 * F, at: 1000 + R + 2 * F, ssrc: 2 }],
      lost: 1,
      segments: 2,
    },
    {
      name: 'straggler of the old time base after a re-anchor is late (already a hole), not a new segment',
      in: [...seqs(0, 1), { seq: 3, ts: 7_000_000, at: 1000 + 3 * F }, { seq: 2, ts: 2 * F, at: 1000 + 3 * F + 5 }, { seq: 4, ts: 7_000_000 + F, at: 1000 + 4 * F }],
      lost: 1,
      late: 1,
      segments: 2,
    },
  ];
  for (const c of cases) {
    const jb = new Jb(opts);
    for (const p of c.in) jb.push(pkt(p));
    jb.flush();
    const st = jb.stats();
    t.equal(st.lost, c.lost, `${c.name}: lost`);
    t.equal(st.segments, c.segments, `${c.name}: segments`);
    t.equal(st.late, c.late ?? 0, `${c.name}: late`);
  }
  t.end();
});

t.test('30 ms frame straddling two packets takes samples from both', (t) => {
  const jb = new Jb(opts);
  jb.push(pkt({ seq: 0, ts: 0, at: 0, n: 240 }));
  jb.push(pkt({ seq: 1, ts: 240, at: 240, n: 240 }));
  const f = jb.flush()[1];
  t.equal(f.samples?.[79], 0);
  t.equal(f.samples?.[80], 1);
  t.end();
});

t.test('pull releases only frames ending at or before the horizon; late packets are dropped', (t) => {
  const jb = new Jb(opts);
  for (const p of seqs(0, 1, 3)) jb.push(pkt(p));
  t.same(show(jb.pull(1000 + F - 1)), [], 'nothing before the first frame ends');
  t.same(show(jb.pull(1000 + 3 * F)), [[1000, 0], [1160, 1], [1320, 'missing']]);
  t.equal(jb.push(pkt(seqs(2)[0])), PushOutcome.Late, 'seq 2 after its time was released');
  t.same(show(jb.flush()), [[1480, 3]]);
  t.same(jb.stats(), { received: 3, duplicates: 0, late: 1, lost: 1, segments: 1, padded: 0 });
  t.end();
});

t.test('time closed by finalBefore is released as missing, and its packets then count as late', (t) => {
  // A stalled sender or event loop: packets 2-4 come after the session padded their time with
  // silence; they must be counted (late and lost), not merged unseen into time already written.
  const jb = new Jb(opts);
  for (const p of seqs(0, 1)) jb.push(pkt(p));
  t.same(show(jb.pull(1000 + 2 * F, 1000 + 4 * F)), [[1000, 0], [1160, 1], [1320, 'missing'], [1480, 'missing']]);
  t.same(show(jb.pull(1000 + 4 * F, 1000 + 4 * F + F - 1)), [], 'a frame not yet wholly before finalBefore stays open');
  t.equal(jb.push(pkt(seqs(2)[0])), PushOutcome.Late, 'seq 2: its time was closed');
  t.equal(jb.push(pkt(seqs(3)[0])), PushOutcome.Late, 'seq 3: its time was closed');
  t.equal(jb.push(pkt(seqs(4)[0])), PushOutcome.Accepted, 'seq 4: still open');
  t.equal(jb.push(pkt(seqs(5)[0])), PushOutcome.Accepted);
  t.same(show(jb.flush()), [[1640, 4], [1800, 5]]);
  t.same(jb.stats(), { received: 4, duplicates: 0, late: 2, lost: 2, segments: 1, padded: 0 });
  t.end();
});

t.test('closing time past a silent stretch keeps the segment: resumed packets continue it', (t) => {
  const jb = new Jb(opts);
  jb.push(pkt(seqs(0)[0]));
  // 100 frames of nothing (longer than the ring), closed tick by tick as the session does.
  let released = 0;
  for (let k = 1; k <= 100; k++) released += jb.pull(1000 + k * F, 1000 + k * F).length;
  t.equal(released, 100, 'one frame per tick: the received one, then missing ones');
  t.equal(jb.push(pkt({ seq: 1, ts: 101 * F, at: 1000 + 101 * F })), PushOutcome.Accepted, 'same time base: no new segment');
  t.same(show(jb.flush()), [[1000 + 100 * F, 'missing'], [1000 + 101 * F, 1]]);
  t.same(jb.stats(), { received: 2, duplicates: 0, late: 0, lost: 0, segments: 1, padded: 0 });
  t.end();
});

t.test('memory stays bounded: frames are forced out when the window is exceeded', (t) => {
  const jb = new Jb(opts);
  let released = 0;
  for (let s = 0; s < 200; s++) {
    jb.push(pkt({ seq: s, ts: s * F, at: s * F }));
    // Horizon far in the past: only the window bound may release frames.
    const out = jb.pull(-1e9);
    released += out.length;
    t.ok((s + 1 - released) * F <= jb.capacity, `at most the ring is held after packet ${s}`);
  }
  t.equal(released + jb.flush().length, 200, 'every frame released exactly once');
  t.end();
});

t.test('the anchor follows the least-delayed packet until the first frame is released', (t) => {
  const jb = new Jb(opts);
  jb.push(pkt({ seq: 0, ts: 0, at: 1030 })); // first packet delayed by 30
  jb.push(pkt({ seq: 1, ts: 160, at: 1160 })); // on time: anchor moves to 1000
  t.same(show(jb.pull(1000 + 2 * F)), [[1000, 0], [1160, 1]]);
  jb.push(pkt({ seq: 2, ts: 320, at: 1300 })); // after release the anchor stays
  t.same(show(jb.flush()), [[1320, 2]]);
  t.end();
});

/**
 * A leg as the session drives it: packets pushed in arrival order, pull(now - jitter) every
 * 100 ms. `delay(k)`: packet k's delay (samples) past its sender's 20 ms schedule; `rate`: the
 * sender's clock against ours (1.0001 = 100 ppm slow: each 20 ms of its audio takes 20.002 ms).
 */
function driveLeg(packets: number, delay: (k: number) => number, rate = 1) {
  const J = 4000;
  let first: number | null = null;
  let last = 0;
  let jumps = 0;
  let prev: number | null = null;
  let overlap = 0;
  const sink = {
    frame(pos: number, audio: Int16Array | null): void {
      if (prev !== null && pos !== prev + F) jumps++;
      if (prev !== null && pos < prev + F) overlap += prev + F - pos;
      prev = pos;
      if (audio === null) return; // time closed after the last packet
      first ??= pos;
      last = pos;
    },
  };
  const jb = new JitterBuffer({ frameSamples: F, windowSamples: J + 800, maxDriftSamples: 16000, followSamples: 0.8 * J }, sink);
  const samples = new Int16Array(F).fill(1000);
  const arrivals = Array.from({ length: packets }, (_, k) => ({ k, at: Math.round(1000 + k * F * rate + delay(k)) })).sort((a, b) => a.at - b.at);
  let i = 0;
  const end = arrivals[arrivals.length - 1].at + 2 * J;
  for (let now = 0; now < end; now += 800) {
    for (; i < arrivals.length && arrivals[i].at <= now; i++) {
      const { k, at } = arrivals[i];
      jb.push({ sequenceNumber: k & 0xffff, timestamp: (k * F) >>> 0, ssrc: 7, samples, arrival: at });
    }
    jb.pull(now - J, now - J);
  }
  jb.flush();
  return { ...jb.stats(), jumps, overlap, span: last + F - (first ?? 0) };
}

t.test('the anchor follows a delay every packet shares: clock skew, a standing queue (RFC 3550 6.4.1)', (t) => {
  const hour = 3600 * 50;
  const jitter = (k: number): number => ((k * 7919) % 97) * 1.6; // 0-20 ms, no pattern
  // overlap: samples the aligner trims because the anchor moved earlier (only a fast clock's surplus).
  const cases: Array<{ name: string; packets: number; delay: (k: number) => number; rate?: number; late: number; jumps: number | 'some'; span?: number; overlap?: number; padded: number }> = [
    // Before: every packet after 90 minutes late (249,999 of them), until the 2 s re-anchor.
    { name: 'sender clock 100 ppm slow, 3 h', packets: 3 * hour, delay: () => 0, rate: 1.0001, late: 0, jumps: 'some', span: 3 * hour * F * 1.0001, padded: 0.0001 * 3 * hour * F },
    { name: 'sender clock 0.1% slow (a sound card), 30 min', packets: hour / 2, delay: jitter, rate: 1.001, late: 0, jumps: 'some', span: (hour / 2) * F * 1.001, padded: 0.001 * (hour / 2) * F },
    { name: 'sender clock 300 ppm fast, 3 h', packets: 3 * hour, delay: () => 0, rate: 0.9997, late: 0, jumps: 'some', span: 3 * hour * F * 0.9997, padded: 0 },
    // Before: every packet after the step late (6,000 of them), lost for the rest of the call.
    { name: 'path delay up 1 s at 60 s, for good', packets: 9000, delay: (k) => jitter(k) + (k >= 3000 ? 8000 : 0), late: 108, jumps: 'some', overlap: 0, padded: 8000 },
    // The queue drains after 5 s: the anchor does not move back by the whole second, which would
    // trim a second of delayed audio; the leg stays that much later, whole.
    { name: 'path delay up 1 s from 60 to 65 s', packets: 9000, delay: (k) => jitter(k) + (k >= 3000 && k < 3250 ? 8000 : 0), late: 160, jumps: 'some', overlap: 0, padded: 8000 },
    { name: 'network jitter only: the anchor never moves', packets: 9000, delay: jitter, late: 0, jumps: 0, span: 9000 * F, padded: 0 },
    // A loaded relay: 60 ms more delay for 3 s in every 9, well inside the 500 ms window. Following
    // it put 20-80 ms of silence, then trims, into the middle of the audio each time.
    { name: 'a delay that comes and goes inside the window: the anchor never moves', packets: 9000, delay: (k) => jitter(k) + (Math.floor(k / 150) % 3 === 1 ? 480 : 0), late: 0, jumps: 0, span: 9000 * F, overlap: 0, padded: 0 },
    // 100 ms more for 20 s, draining over 5 s: shorter than a clock's 30 s, and a drain trims nothing.
    { name: 'a delay for 20 s that drains slowly: the anchor never moves', packets: 9000, delay: (k) => jitter(k) + (k < 3000 ? 0 : k < 4000 ? 800 : Math.max(0, 800 - (k - 4000) * 3.2)), late: 0, jumps: 0, span: 9000 * F, overlap: 0, padded: 0 },
  ];
  for (const c of cases) {
    const r = driveLeg(c.packets, c.delay, c.rate);
    t.ok(r.late <= c.late, `${c.name}: ${r.late} late (at most ${c.late})`);
    t.equal(r.received + r.late, c.packets, `${c.name}: every packet taken or counted late`);
    t.equal(r.segments, 1, `${c.name}: one time base`);
    if (c.jumps === 'some') t.ok(r.jumps > 0, `${c.name}: the anchor moved ${r.jumps} times`);
    else t.equal(r.jumps, c.jumps, `${c.name}: frames back to back`);
    // On the call's clock the leg lasts as long as the sender took: it stays aligned with the
    // others, within what a clock is left to drift before the anchor follows it (4 frames, for
    // 30 windows in a row) and two frames.
    const behind = 4 * F + 30 * 50 * F * Math.abs((c.rate ?? 1) - 1) + 2 * F;
    if (c.overlap !== undefined) t.equal(r.overlap, c.overlap, `${c.name}: no audio trimmed`);
    else if (c.rate !== undefined && c.rate < 1) t.ok(r.overlap > 0 && r.overlap <= (1 - c.rate) * c.packets * F + 2 * F, `${c.name}: ${r.overlap} surplus samples trimmed`);
    // What the later moves put in is counted (LegStats.paddedMs): the slow clock's deficit, the delay that stayed.
    t.ok(r.padded <= c.padded + 2 * F && r.padded >= c.padded - behind, `${c.name}: ${r.padded} samples of silence counted as padded (${Math.round(c.padded)} deficit)`);
    if (c.span !== undefined) t.ok(Math.abs(r.span - c.span) <= behind, `${c.name}: spans ${r.span} samples (sent over ${Math.round(c.span)})`);
  }
  t.end();
});
