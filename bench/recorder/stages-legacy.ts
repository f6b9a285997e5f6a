/**
 * The recorder's stages as they were before issue 14 (commit 10f1489), timed one by one. Kept in
 * the bench only, as the competitor the current stages are compared with in the same run.
 */
import { parseRtp } from './legacy/rtp';
import { decodeG711, ULAW_TABLE } from '../../src/recorder/g711';
import { JitterBuffer, type Frame } from './legacy/jitter-buffer';
import { LegAligner } from './legacy/aligner';
// The generic resampler's arithmetic is unchanged (tested bit-exact); process() is what ran at 2x.
import { Resampler } from '../../src/recorder/resampler';
import { mixLegs } from './legacy/mixer';
import { nsPer, legPackets, legAudio, arrival, packetRow, handoffNs, gcsDuring, GC_PACKETS, type Row } from './measure';

/** Recording.feed / take / flushBatch as they were (no pause): a chunk list copied out per batch. */
class LegacyBatcher {
  private batch: Int16Array[][] = [];
  private batched = 0;
  constructor(private readonly write: (legs: Int16Array[]) => void, private readonly legIndexes = [0, 1]) {}
  feed(pos: number, legs: readonly Int16Array[]): void {
    const n = legs[0].length;
    this.take(this.legIndexes.map((i) => legs[i].subarray(0, n)));
  }
  private take(chunk: Int16Array[]): void {
    this.batch.push(chunk);
    this.batched += chunk[0].length;
    if (this.batched >= 4000) this.flush();
  }
  private flush(): void {
    const legs = this.legIndexes.map((_, li) => {
      const out = new Int16Array(this.batched);
      let off = 0;
      for (const chunk of this.batch) {
        out.set(chunk[li], off);
        off += chunk[li].length;
      }
      return out;
    });
    this.write(legs);
    this.batch = [];
    this.batched = 0;
  }
}

const N = 3000; // packets per run: 60 s of one leg
const TICK = 400; // the session's 50 ms ticker, in 8 kHz samples
const JITTER = 4000; // 500 ms default delay

/** GCs while an hour of one leg goes through parse -> decode -> jitter buffer -> aligner -> batch. */
export async function legacyChainGcs(): Promise<number> {
  const pkts = legPackets(1000, 3000);
  const jb = new JitterBuffer({ frameSamples: 160, windowSamples: JITTER, maxDriftSamples: 4 * JITTER });
  const al = new LegAligner(0);
  const batcher = new LegacyBatcher(() => undefined, [0]);
  return gcsDuring(() => {
    let nextTick = TICK;
    for (let k = 0; k < GC_PACKETS; k++) {
      const p = parseRtp(pkts[k % 3000]);
      const at = arrival(k);
      jb.push({ sequenceNumber: k & 0xffff, timestamp: 5000 + k * 160, ssrc: p.ssrc, samples: decodeG711(p.payload, ULAW_TABLE), arrival: at });
      if (at >= nextTick) {
        for (const f of jb.pull(at - JITTER, at - JITTER - 160)) al.push(f, 160);
        al.fillTo(at - JITTER - 160);
        if (al.available > 0) batcher.feed(0, [al.read(al.available)]);
        nextTick += TICK;
      }
    }
  });
}

export async function legacyStages(): Promise<Row[]> {
  const pkts = legPackets(1000, N);
  const parsed = pkts.map((b) => parseRtp(b));
  const decoded = parsed.map((p) => decodeG711(p.payload, ULAW_TABLE));
  let keep = 0;

  const parse = nsPer(N, () => {
    for (let k = 0; k < N; k++) keep += parseRtp(pkts[k]).timestamp;
  });
  const decode = nsPer(N, () => {
    for (let k = 0; k < N; k++) keep += decodeG711(parsed[k].payload, ULAW_TABLE)[7];
  });
  const jitter = nsPer(N, () => {
    const jb = new JitterBuffer({ frameSamples: 160, windowSamples: JITTER, maxDriftSamples: 4 * JITTER });
    let nextTick = TICK;
    for (let k = 0; k < N; k++) {
      const p = parsed[k];
      const at = arrival(k);
      jb.push({ sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, ssrc: p.ssrc, samples: decoded[k], arrival: at });
      if (at >= nextTick) {
        const h = at - JITTER;
        keep += jb.pull(h, h - 160).length;
        nextTick += TICK;
      }
    }
    keep += jb.flush().length;
  });
  const frames: Frame[] = decoded.map((s, k) => ({ pos: 1000 + k * 160, samples: (k % 50 === 7 ? null : s) }));
  const align = nsPer(N, () => {
    const al = new LegAligner(0);
    for (let k = 0; k < N; k++) {
      al.push(frames[k], 160);
      if (k % 5 === 4) {
        al.fillTo(frames[k].pos + 160);
        keep += al.read(al.available).length;
      }
    }
  });
  const glue = nsPer(N, () => {
    const rec = new LegacyBatcher((l) => {
      keep += l[0].length;
    });
    const a = legAudio(1000, TICK);
    const b = legAudio(400, TICK);
    // One feed per tick carries 2.5 packets of each leg: N packets of one leg = N / 2.5 ticks,
    // and the figure is per packet of either leg, so two legs' packets per tick: 5.
    for (let t = 0; t < N / 5; t++) {
      // The session's read() gave new arrays per tick, and its map() a new list.
      rec.feed(t * TICK, [a.slice(), b.slice()]);
    }
  });
  const a4 = legAudio(1000, 4000);
  const b4 = legAudio(400, 4000);
  const handoff = await handoffNs();
  const resample = (rate: number): number => {
    const rs = [new Resampler({ inRate: 8000, outRate: rate }), new Resampler({ inRate: 8000, outRate: rate })];
    return nsPer(1, () => {
      keep += rs[0].process(a4).length + rs[1].process(b4).length;
    });
  };
  const up16 = [new Resampler({ inRate: 8000, outRate: 16000 }).process(a4), new Resampler({ inRate: 8000, outRate: 16000 }).process(b4)];
  const stereo = nsPer(1, () => {
    keep += mixLegs(up16, 'stereo').length;
  });
  const mono = nsPer(1, () => {
    keep += mixLegs([a4, b4], 'mono').length;
  });
  if (keep === 0.5) console.log(keep); // keeps the results alive
  // Per call-second: 100 packets; 20 ticks; 2 batches of 500 ms.
  const perBatch = (ns: number) => (ns * 2) / 1000;
  return [
    packetRow('RTP parse (parseRtp)', parse),
    packetRow('G.711 decode', decode),
    packetRow('jitter buffer push + pull', jitter),
    packetRow('aligner push + fill + read', align),
    packetRow('recording feed + 500 ms batch', glue),
    { stage: 'worker hand-off (pack + postMessage, main)', usPerCallSec: [perBatch(handoff), perBatch(handoff)] },
    { stage: 'resample 8k->16k / identity (2 legs)', usPerCallSec: [perBatch(resample(16000)), perBatch(resample(8000))] },
    { stage: 'interleave (stereo) / mix (mono)', usPerCallSec: [perBatch(stereo), perBatch(mono)] },
  ];
}
