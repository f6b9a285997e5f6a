/**
 * Audio for the call tests: a µ-law tone sender over an RtpEndpoint's socket, and a frequency
 * estimate of what an endpoint received, so each direction carries a tone of its own (1 kHz from
 * the caller, 400 Hz from the callee) and the test can tell which one arrived where.
 */
import { linearToUlaw, decodeG711, tableForPayloadType } from '../../../src/recorder/g711';
import { buildRtp, type RtpEndpoint, type RtpPacket } from '../../helpers/rtp';
import { sleepUntil } from '../../helpers/wait';

const RATE = 8000;
const FRAME = 160;

/** One 20 ms PCMU frame of a sine at `freq`, continuing the phase of frame `index`. */
export function toneFrame(freq: number, index: number): Buffer {
  const out = Buffer.alloc(FRAME);
  for (let i = 0; i < FRAME; i++) {
    const n = index * FRAME + i;
    out[i] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * freq * n) / RATE)));
  }
  return out;
}

/**
 * Sends `count` frames of the tone from the endpoint's socket to host:port, frame i at 20 i ms
 * from the first (a 20 ms sleep after each send drifted about 5% slow: each timer's lateness added up).
 */
export async function sendTone(ep: RtpEndpoint, host: string, port: number, freq: number, count: number, ssrc: number): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await sleepUntil(t0 + i * 20);
    const pkt = buildRtp({ payloadType: 0, sequence: 1000 + i, timestamp: 8000 + i * FRAME, ssrc, marker: i === 0, payload: toneFrame(freq, i) });
    ep.socket.send(pkt, port, host);
  }
}

/** Zero-crossing frequency estimate over the PCMU packets received (Hz, rounded). */
export function estimateFrequency(packets: readonly RtpPacket[]): number {
  const table = tableForPayloadType(0);
  if (!table || packets.length === 0) return 0;
  let crossings = 0;
  let samples = 0;
  let prev = 0;
  for (const p of packets) {
    if (p.payloadType !== 0) continue;
    for (const s of decodeG711(p.payload, table)) {
      if (samples > 0 && ((prev < 0 && s >= 0) || (prev >= 0 && s < 0))) crossings++;
      prev = s;
      samples++;
    }
  }
  return samples === 0 ? 0 : Math.round((crossings / 2) / (samples / RATE));
}
