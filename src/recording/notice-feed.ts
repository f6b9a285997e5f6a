import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { LegEndpoint } from '../recorder';
import { encodeG711, linearToUlaw } from '../recorder/g711';
import { buildRtp } from '../recorder/rtp';

/**
 * A recorded notice written into every channel of the call's recordings. rtpengine 10.5's
 * `play media` into the fork reaches the subscription's first stream only (the caller's
 * channel), so the recorder is fed the notice itself: its 8 kHz samples as PCMU RTP (RFC 3551,
 * payload type 0, 20 ms packets) to each leg of the session, its own SSRC per leg, paced in real
 * time while rtpengine plays it to the parties (who are muted meanwhile, so the legs are silent
 * but for it). Each leg gets it at half level: a mono mix sums the legs and holds it at full
 * level, as the parties heard it; each stereo channel at -6 dB.
 */

const RATE = 8000;
const FRAME = 160;
const PT_PCMU = 0;

/**
 * The samples of a WAV file as rtpengine plays it to an 8 kHz party, when it is plain PCM
 * 16-bit mono 8 kHz (the built-in beep, prompts recorded for telephony); undefined otherwise.
 */
export function pcm8kOf(wav: Buffer): Int16Array | undefined {
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let fmtOk = false;
  for (let at = 12; at + 8 <= wav.length;) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= wav.length) {
      fmtOk = wav.readUInt16LE(body) === 1 && wav.readUInt16LE(body + 2) === 1 && wav.readUInt32LE(body + 4) === RATE && wav.readUInt16LE(body + 14) === 16;
      if (!fmtOk) return undefined;
    } else if (id === 'data' && fmtOk) {
      const end = Math.min(wav.length, body + size) & ~1;
      const out = new Int16Array((end - body) / 2);
      for (let i = 0; i < out.length; i++) out[i] = wav.readInt16LE(body + i * 2);
      return out;
    }
    at = body + size + (size & 1); // RIFF chunks are word-aligned
  }
  return undefined;
}

/** Sends `samples` (8 kHz) at half level to every leg endpoint, paced as played; resolves when sent. */
export async function feedNotice(endpoints: readonly LegEndpoint[], samples: Int16Array): Promise<void> {
  if (endpoints.length === 0 || samples.length === 0) return;
  const half = samples.map((s) => s >> 1);
  const frames = Math.ceil(half.length / FRAME);
  const payloads = Array.from({ length: frames }, (_, i) => {
    const f = new Int16Array(FRAME);
    f.set(half.subarray(i * FRAME, (i + 1) * FRAME));
    return encodeG711(f, linearToUlaw);
  });
  const streams = endpoints.map((e) => ({ e, ssrc: randomInt(1, 0xffffffff), seq: randomInt(0, 0xffff), ts: randomInt(0, 0xffffffff) }));
  const socket = createSocket('udp4');
  try {
    const t0 = performance.now();
    for (let i = 0; i < frames;) {
      // Every frame due by now (catches up after a slow tick), then wait for the next one.
      const due = Math.min(frames, Math.floor((performance.now() - t0) / 20) + 1);
      for (; i < due; i++) {
        for (const s of streams) {
          const pkt = buildRtp({ payloadType: PT_PCMU, sequenceNumber: s.seq + i, timestamp: s.ts + i * FRAME, ssrc: s.ssrc, marker: i === 0, payload: payloads[i] });
          socket.send(pkt, s.e.port, s.e.host);
        }
      }
      if (i < frames) await new Promise((r) => setTimeout(r, Math.max(1, t0 + i * 20 - performance.now())));
    }
    // Let the last datagrams leave before the socket closes.
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    socket.close();
  }
}
