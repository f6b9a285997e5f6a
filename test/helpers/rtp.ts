import type { Socket } from 'node:dgram';
import { boundUdp } from './ports';

/** One RTP packet (RFC 3550 section 5.1), fixed header only (no CSRC/extension written). */
export interface RtpPacket {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
}

export function buildRtp(p: RtpPacket): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 0x80; // V=2, no padding, no extension, CC=0
  head[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  head.writeUInt16BE(p.sequence & 0xffff, 2);
  head.writeUInt32BE(p.timestamp >>> 0, 4);
  head.writeUInt32BE(p.ssrc >>> 0, 8);
  return Buffer.concat([head, p.payload]);
}

/** Parses an RTP packet; undefined for anything that is not RTP version 2 (e.g. RTCP on the same port). */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  if (buf.length < 12 || buf[0] >> 6 !== 2) return undefined;
  const pt = buf[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return undefined; // RTCP packet types 200-204 (RFC 5761 section 4)
  const cc = buf[0] & 0x0f;
  let offset = 12 + cc * 4;
  if (buf[0] & 0x10) offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  let end = buf.length;
  if (buf[0] & 0x20) end -= buf[buf.length - 1];
  return {
    payloadType: pt,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    marker: (buf[1] & 0x80) !== 0,
    payload: buf.subarray(offset, end),
  };
}

export interface StreamOptions {
  host: string;
  port: number;
  payloadType: number;
  ssrc: number;
  /** Byte repeated over each payload, so each direction is recognisable. */
  fill: number;
  count: number;
  /** Samples per packet (160 = 20 ms at 8 kHz). */
  samples?: number;
  intervalMs?: number;
  firstSequence?: number;
}

/** A UDP socket on 127.0.0.1 acting as one RTP endpoint: sends paced streams, keeps what it receives. */
export class RtpEndpoint {
  readonly received: RtpPacket[] = [];
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(readonly socket: Socket, readonly port: number) {
    socket.on('message', (msg) => {
      const p = parseRtp(msg);
      if (!p) return;
      this.received.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Binds a free even port among the tests' media ports (`boundUdp`). */
  static async open(host = '127.0.0.1'): Promise<RtpEndpoint> {
    const socket = await boundUdp(host);
    return new RtpEndpoint(socket, socket.address().port);
  }

  /** Sends `count` packets paced at `intervalMs` (default 20 ms). */
  async sendStream(o: StreamOptions): Promise<void> {
    const samples = o.samples ?? 160;
    const seq0 = o.firstSequence ?? 1000;
    for (let i = 0; i < o.count && !this.closed; i++) {
      const pkt = buildRtp({
        payloadType: o.payloadType, sequence: seq0 + i, timestamp: 8000 + i * samples,
        ssrc: o.ssrc, marker: i === 0, payload: Buffer.alloc(samples, o.fill),
      });
      this.socket.send(pkt, o.port, o.host);
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 20));
    }
  }

  /** Resolves once `predicate` holds over the received packets, rejects after `timeoutMs`. */
  waitFor(predicate: (received: RtpPacket[]) => boolean, timeoutMs: number): Promise<RtpPacket[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.received)) {
          clearTimeout(timer);
          resolve(this.received);
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`RTP wait on port ${this.port} timed out after ${timeoutMs} ms (${this.received.length} packets)`));
      }, timeoutMs);
      check();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
