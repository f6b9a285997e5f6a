/**
 * A libpcap file (Ethernet/IPv4/UDP) for SIPp's play_pcap_audio holding a tone in 20 ms PCMU
 * packets, interrupted by one RFC 4733 key press (PT 101: five updates, then the end packet
 * three times, RFC 4733 section 2.5.1.4), then more tone: a caller recording a greeting and
 * pressing # to finish.
 */
import { writeFileSync } from 'node:fs';
import { buildRtp } from '../../../src/recorder/rtp';
import { encodeG711, linearToUlaw } from '../../../src/recorder/g711';

function frame(rtp: Buffer): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(6000, 0);
  udp.writeUInt16BE(6000, 2);
  udp.writeUInt16BE(8 + rtp.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + rtp.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  ip.set([127, 0, 0, 1], 12);
  ip.set([127, 0, 0, 1], 16);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, rtp]);
}

/** `before` tone packets, the key `event` (11 = #), `after` tone packets; one every 20 ms. */
export function writeToneKeyPcap(path: string, o: { freq: number; before: number; event: number; after: number; ssrc: number }): void {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const parts: Buffer[] = [head];
  let seq = 0;
  let slot = 0;
  const push = (rtp: Buffer): void => {
    const f = frame(rtp);
    const rec = Buffer.alloc(16);
    const usec = slot * 20000;
    rec.writeUInt32LE(Math.floor(usec / 1e6), 0);
    rec.writeUInt32LE(usec % 1e6, 4);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
    slot++;
    seq++;
  };
  let ts = 0;
  const tone = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const pcm = new Int16Array(160);
      for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * o.freq * (ts + i)) / 8000));
      push(buildRtp({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: ts, ssrc: o.ssrc, payload: encodeG711(pcm, linearToUlaw) }));
      ts += 160;
    }
  };
  tone(o.before);
  for (let i = 0; i < 8; i++) {
    const end = i >= 5;
    const duration = (Math.min(i, 5) + 1) * 160;
    push(buildRtp({ payloadType: 101, sequenceNumber: seq & 0xffff, timestamp: ts, ssrc: o.ssrc, marker: i === 0, payload: Buffer.from([o.event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]) }));
  }
  ts += 6 * 160;
  tone(o.after);
  writeFileSync(path, Buffer.concat(parts));
}
