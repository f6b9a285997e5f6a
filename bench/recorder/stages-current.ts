/** The recorder's stages as they are now (src/recorder), timed like stages-legacy.ts. */
import pino from 'pino';
import { parseRtpInto, RtpHeader } from '../../src/recorder/rtp';
import { decodeG711Into, ULAW_TABLE } from '../../src/recorder/g711';
import { JitterBuffer, type FrameSink } from '../../src/recorder/jitter-buffer';
import { LegAligner } from '../../src/recorder/aligner';
import { HalfBand2x, createUpsampler, halfBandTs, nativeHalfBand } from '../../src/recorder/halfband';
import type { Upsampler } from '../../src/recorder/resampler';
import { mixInto } from '../../src/recorder/mixer';
import { Renderer } from '../../src/recorder/encoder/render';
import { Recording } from '../../src/recorder/recording';
import { nsPer, legPackets, legAudio, arrival, packetRow, handoffNs, gcsDuring, GC_PACKETS, type Row } from './measure';

const N = 3000;
const TICK = 400;
const JITTER = 4000;

/** GCs while an hour of one leg goes through the session's per-packet path and the batching. */
export async function currentChainGcs(): Promise<number> {
  const pkts = legPackets(1000, 3000);
  const al = new LegAligner(0);
  const jb = new JitterBuffer({ frameSamples: 160, windowSamples: JITTER, maxDriftSamples: 4 * JITTER }, al);
  const h = new RtpHeader();
  const packet = { sequenceNumber: 0, timestamp: 0, ssrc: 0, samples: new Int16Array(4000), length: 0, arrival: 0 };
  const chunk = [new Int16Array(8000)];
  const rec = new Recording(
    { pool: { open: () => ({ write: () => undefined, close: async () => null, abort: async () => null }) }, nowPos: () => 0, legStats: () => ({}), onFinished: () => undefined },
    { path: '/dev/null', format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 36000, minSec: 0 },
    ['caller'],
    pino({ level: 'silent' }),
  );
  rec.begin();
  return gcsDuring(() => {
    let nextTick = TICK;
    for (let k = 0; k < GC_PACKETS; k++) {
      const buf = pkts[k % 3000];
      parseRtpInto(buf, h);
      decodeG711Into(buf, h.payloadStart, h.payloadEnd, ULAW_TABLE, packet.samples);
      packet.sequenceNumber = k & 0xffff;
      packet.timestamp = 5000 + k * 160;
      packet.ssrc = h.ssrc;
      packet.length = h.payloadEnd - h.payloadStart;
      packet.arrival = arrival(k);
      jb.push(packet);
      if (packet.arrival >= nextTick) {
        jb.pull(packet.arrival - JITTER, packet.arrival - JITTER - 160);
        al.fillTo(packet.arrival - JITTER - 160);
        const n = al.available;
        const pos = al.position;
        al.readInto(chunk[0], 0, n);
        rec.feed(pos, chunk, n);
        nextTick += TICK;
      }
    }
  });
}

export async function currentStages(): Promise<Row[]> {
  const pkts = legPackets(1000, N);
  const headers = pkts.map((b) => {
    const h = new RtpHeader();
    parseRtpInto(b, h);
    return h;
  });
  const decoded = headers.map((h, k) => {
    const out = new Int16Array(160);
    decodeG711Into(pkts[k], h.payloadStart, h.payloadEnd, ULAW_TABLE, out);
    return out;
  });
  let keep = 0;
  const h = new RtpHeader();
  const parse = nsPer(N, () => {
    for (let k = 0; k < N; k++) {
      parseRtpInto(pkts[k], h);
      keep += h.timestamp;
    }
  });
  const scratch = new Int16Array(160);
  const decode = nsPer(N, () => {
    for (let k = 0; k < N; k++) {
      decodeG711Into(pkts[k], 12, 172, ULAW_TABLE, scratch);
      keep += scratch[7];
    }
  });
  // The jitter buffer alone: its sink only counts (the aligner is timed next).
  const counter: FrameSink = { frame: (pos) => { keep += pos; } };
  const packet = { sequenceNumber: 0, timestamp: 0, ssrc: 0, samples: scratch, length: 160, arrival: 0 };
  const jitter = nsPer(N, () => {
    const jb = new JitterBuffer({ frameSamples: 160, windowSamples: JITTER, maxDriftSamples: 4 * JITTER }, counter);
    let nextTick = TICK;
    for (let k = 0; k < N; k++) {
      const hd = headers[k];
      const at = arrival(k);
      packet.sequenceNumber = hd.sequenceNumber;
      packet.timestamp = hd.timestamp;
      packet.ssrc = hd.ssrc;
      packet.samples.set(decoded[k]);
      packet.arrival = at;
      jb.push(packet);
      if (at >= nextTick) {
        jb.pull(at - JITTER, at - JITTER - 160);
        nextTick += TICK;
      }
    }
    jb.flush();
  });
  const chunk = new Int16Array(4000);
  const align = nsPer(N, () => {
    const al = new LegAligner(0);
    for (let k = 0; k < N; k++) {
      al.frame(1000 + k * 160, k % 50 === 7 ? null : decoded[k], 160);
      if (k % 5 === 4) {
        al.fillTo(1000 + k * 160 + 160);
        const n = al.available;
        al.readInto(chunk, 0, n);
        keep += chunk[n - 1];
      }
    }
  });
  const a = legAudio(1000, TICK);
  const b = legAudio(400, TICK);
  const glue = nsPer(N, () => {
    const rec = new Recording(
      { pool: { open: () => ({ write: (l) => { keep += l[0].length; }, close: async () => null, abort: async () => null }) }, nowPos: () => 0, legStats: () => ({}), onFinished: () => undefined },
      { path: '/dev/null', format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 },
      ['caller', 'callee'],
      pino({ level: 'silent' }),
    );
    rec.begin();
    const legs = [a, b];
    for (let t = 0; t < N / 5; t++) rec.feed(t * TICK, legs, TICK);
  });
  const handoff = await handoffNs();
  const a4 = legAudio(1000, 4000);
  const b4 = legAudio(400, 4000);
  const resample = (rate: number, make = (): Upsampler => createUpsampler(8000, rate)): number => {
    const ups = [make(), make()];
    const out = new Int16Array(2 * ups[0].outputCount(4000));
    // Written interleaved, as the Renderer does for stereo: the interleave is part of this.
    return nsPer(1, () => {
      ups[0].processInto(a4, 4000, out, 0, 2);
      ups[1].processInto(b4, 4000, out, 1, 2);
      keep += out[5];
    });
  };
  const mono = new Int16Array(4000);
  const mix = nsPer(1, () => {
    mixInto([a4, b4], 4000, 'mono', mono);
    keep += mono[3];
  });
  const r16 = new Renderer(2, 16000, 'stereo');
  const r8 = new Renderer(2, 8000, 'mono');
  const render16 = nsPer(1, () => {
    keep += r16.render([a4, b4]).length;
  });
  const render8 = nsPer(1, () => {
    keep += r8.render([a4, b4]).length;
  });
  if (keep === 0.5) console.log(keep);
  const perBatch = (ns: number): number => (ns * 2) / 1000;
  return [
    packetRow('RTP parse (parseRtpInto, reused header)', parse),
    packetRow('G.711 decode (into the leg buffer)', decode),
    packetRow('jitter buffer push + pull', jitter),
    packetRow('aligner frame + fill + readInto', align),
    packetRow('recording feed + 500 ms batch', glue),
    { stage: 'worker hand-off (pack + postMessage, main)', usPerCallSec: [perBatch(handoff), perBatch(handoff)] },
    { stage: `resample 2x half-band (${nativeHalfBand().kernel ? 'halfband.c' : 'TypeScript: not built'}) / identity (2 legs)`, usPerCallSec: [perBatch(resample(16000)), perBatch(resample(8000))] },
    { stage: '(resample 2x half-band, TypeScript kernel: the fallback)', usPerCallSec: [perBatch(resample(16000, () => new HalfBand2x(halfBandTs))), 0] },
    { stage: 'interleave (in the resampler) / mix (mono)', usPerCallSec: [0, perBatch(mix)] },
    { stage: '(Renderer: resample + interleave/mix, whole)', usPerCallSec: [perBatch(render16), perBatch(render8)] },
  ];
}
