/**
 * Media for the recorded-call tests: where rtpengine expects each party's RTP, a tone sender
 * paced on an absolute schedule (so timer drift never makes packets late against their RTP
 * timestamps), RFC 4733 key presses, and the checks run on a decoded recording (Goertzel tone
 * power per channel, the tone's span and gaps in 20 ms blocks).
 */
import type { Call } from '../../../src/calls';
import type { TestService } from '../../helpers/service';
import { buildRtp, type RtpEndpoint } from '../../helpers/rtp';
import { sleepUntil } from '../../helpers/wait';
import { toneFrame } from '../calls/audio';

const FRAME = 160;

/** rtpengine's local port for the caller's and the callee's monologue. */
export async function rtpengineTargets(svc: TestService, call: Call): Promise<{ toCallerSide: number; toCalleeSide: number }> {
  const server = svc.service.media?.server;
  const media = call.media;
  if (!server || !media?.calleeTag) throw new Error('call has no media');
  const q = await server.query(call.callId);
  const portOf = (tag: string): number => {
    const port = q.tags?.[tag]?.medias?.[0]?.streams?.[0]?.['local port'];
    if (typeof port !== 'number') throw new Error(`no rtpengine port for tag ${tag}`);
    return port;
  };
  return { toCallerSide: portOf(media.callerTag), toCalleeSide: portOf(media.calleeTag) };
}

export interface Stream {
  seq: number;
  ts: number;
  readonly ssrc: number;
}

export function newStream(ssrc: number): Stream {
  return { seq: 1000, ts: 8000, ssrc };
}


/** `frames` 20 ms PCMU frames of a sine, frame i sent at start + 20 i ms (through `protect`, e.g. SRTP). */
export async function sendTone(ep: RtpEndpoint, port: number, freq: number, frames: number, s: Stream, protect: (rtp: Buffer) => Buffer = (p) => p): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    await sleepUntil(t0 + i * 20);
    ep.socket.send(protect(buildRtp({ payloadType: 0, sequence: s.seq & 0xffff, timestamp: s.ts >>> 0, ssrc: s.ssrc, marker: i === 0, payload: toneFrame(freq, i) })), port, '127.0.0.1');
    s.seq++;
    s.ts += FRAME;
  }
}

/** One key press as RFC 4733 events (PT 101): 5 updates then the end packet three times (section 2.5.1.4). */
export async function pressKey(ep: RtpEndpoint, port: number, event: number, s: Stream): Promise<void> {
  const t0 = performance.now();
  const ts = s.ts;
  for (let i = 0; i < 8; i++) {
    await sleepUntil(t0 + i * 20);
    const end = i >= 5;
    const duration = Math.min(i, 5) * FRAME + FRAME;
    const payload = Buffer.from([event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
    ep.socket.send(buildRtp({ payloadType: 101, sequence: s.seq & 0xffff, timestamp: ts >>> 0, ssrc: s.ssrc, marker: i === 0, payload }), port, '127.0.0.1');
    s.seq++;
  }
  s.ts += 6 * FRAME;
}

/** Goertzel power of `freq` over x[from, to) at `rate`. */
export function goertzel(x: Int16Array, rate: number, freq: number, from = 0, to = x.length): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = x[i] + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / Math.max(1, to - from);
}

/**
 * 20 ms blocks of a channel where `freq` dominates: the first and last such block and the
 * blocks in between where it does not (gaps in the sent tone).
 */
export function toneSpan(x: Int16Array, rate: number, freq: number): { firstSec: number; lastSec: number; gaps: number } {
  const block = Math.round(rate / 50);
  const on: boolean[] = [];
  for (let b = 0; b + block <= x.length; b += block) on.push(goertzel(x, rate, freq, b, b + block) > 1e6);
  const first = on.indexOf(true);
  const last = on.lastIndexOf(true);
  if (first < 0) return { firstSec: -1, lastSec: -1, gaps: 0 };
  let gaps = 0;
  for (let i = first; i <= last; i++) if (!on[i]) gaps++;
  return { firstSec: (first * block) / rate, lastSec: ((last + 1) * block) / rate, gaps };
}

/**
 * A tone whose frequency the test changes while it runs, sent until `done()`: one continuous RTP
 * stream, so a change of tone is no new segment for the recorder. `freq(slot)` is asked with the
 * frame's scheduled time (performance.now() scale), not its sending time: a frame sent late
 * still has its slot's RTP timestamp, so the recorder places it at its slot.
 */
export async function sendChanging(ep: RtpEndpoint, port: number, freq: (slot: number) => number, done: () => boolean, s: Stream, maxFrames = 3000): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < maxFrames && !done(); i++) {
    await sleepUntil(t0 + i * 20);
    ep.socket.send(buildRtp({ payloadType: 0, sequence: s.seq & 0xffff, timestamp: s.ts >>> 0, ssrc: s.ssrc, marker: i === 0, payload: toneFrame(freq(t0 + i * 20), i) }), port, '127.0.0.1');
    s.seq++;
    s.ts += FRAME;
  }
}

/**
 * 20 ms blocks of a channel where `freq` is present and dominates `other` tenfold (toneSpan's
 * absolute threshold also fires on a loud neighbouring tone's leakage): how many, the first and
 * the last (seconds; -1 when none).
 */
export function dominantSpan(x: Int16Array, rate: number, freq: number, other: number): { blocks: number; firstSec: number; lastSec: number } {
  const block = Math.round(rate / 50);
  let blocks = 0;
  let first = -1;
  let last = -1;
  for (let b = 0, i = 0; b + block <= x.length; b += block, i++) {
    const p = goertzel(x, rate, freq, b, b + block);
    if (p <= 1e6 || p <= 10 * goertzel(x, rate, other, b, b + block)) continue;
    blocks++;
    if (first < 0) first = i;
    last = i;
  }
  return { blocks, firstSec: first < 0 ? -1 : (first * block) / rate, lastSec: last < 0 ? -1 : ((last + 1) * block) / rate };
}
