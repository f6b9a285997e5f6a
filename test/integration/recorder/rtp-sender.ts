import { createSocket, type Socket } from 'node:dgram';
import { buildRtp } from '../../../src/recorder/rtp';
import { encodeG711, linearToAlaw, linearToUlaw } from '../../../src/recorder/g711';

export interface ToneStream {
  readonly port: number;
  readonly pt: 0 | 8;
  /** Payload type on the wire when not the static one (a dynamic PT negotiated for PCMU/PCMA). */
  readonly wirePt?: number;
  readonly freq: number;
  readonly packets: number;
  /** Packet indexes never sent (loss). */
  readonly drop?: ReadonlySet<number>;
  /** Pairs [a, a+1] sent in swapped order (reordering). */
  readonly swap?: ReadonlySet<number>;
  /** Packet indexes sent twice. */
  readonly dup?: ReadonlySet<number>;
  readonly ssrc?: number;
  readonly seq0?: number;
  readonly ts0?: number;
  /** Packet time (default 20 ms); every stream of one sendTones call uses the same. */
  readonly ptimeMs?: number;
  /**
   * Real time between packets (default ptimeMs): longer is a sender whose clock runs slow
   * against ours (its 20 ms of audio take longer); every stream of one call uses the same.
   */
  readonly paceMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Test-side RTP source: G.711 packets of a tone (20 ms unless ptimeMs), paced in real time, sent to 127.0.0.1. */
export async function sendTones(streams: readonly ToneStream[]): Promise<void> {
  const sockets: Socket[] = [];
  try {
    const prepared = streams.map((s) => {
      const sock = createSocket('udp4');
      sockets.push(sock);
      const enc = s.pt === 0 ? linearToUlaw : linearToAlaw;
      const pkts: Buffer[] = [];
      const len = 8 * (s.ptimeMs ?? 20);
      for (let k = 0; k < s.packets; k++) {
        const pcm = new Int16Array(len);
        for (let i = 0; i < len; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * s.freq * (k * len + i)) / 8000));
        pkts.push(buildRtp({ payloadType: s.wirePt ?? s.pt, sequenceNumber: (s.seq0 ?? 1000) + k, timestamp: (s.ts0 ?? 5000) + k * len, ssrc: s.ssrc ?? 0x1234 + s.pt, payload: encodeG711(pcm, enc) }));
      }
      return { s, sock, pkts };
    });
    const n = Math.max(...streams.map((s) => s.packets));
    const pace = streams[0]?.paceMs ?? streams[0]?.ptimeMs ?? 20;
    const t0 = performance.now();
    for (let k = 0; k < n; k++) {
      const wait = t0 + k * pace - performance.now();
      if (wait > 0) await sleep(wait);
      for (const { s, sock, pkts } of prepared) {
        if (k >= s.packets) continue;
        const order: number[] = [];
        if (s.swap?.has(k)) continue; // sent with k+1
        if (k > 0 && s.swap?.has(k - 1)) order.push(k, k - 1);
        else order.push(k);
        for (const i of order) {
          if (s.drop?.has(i)) continue;
          sock.send(pkts[i], s.port, '127.0.0.1');
          if (s.dup?.has(i)) sock.send(pkts[i], s.port, '127.0.0.1');
        }
      }
    }
    await sleep(5);
  } finally {
    for (const s of sockets) s.close();
  }
}
