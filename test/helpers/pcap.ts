import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRtp } from '../../src/recorder/rtp';
import { encodeG711, linearToAlaw, linearToUlaw } from '../../src/recorder/g711';

/**
 * libpcap files (Ethernet/IPv4/UDP, 127.0.0.1:6000 both ways) of RTP packets one every 20 ms,
 * for SIPp's play_pcap_audio, which replays the packets with their timing to the SDP peer.
 */
class PcapFile {
  private readonly parts: Buffer[] = [];
  private slot = 0;

  constructor() {
    const head = Buffer.alloc(24);
    head.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(4, 6);
    head.writeUInt32LE(65535, 16); // snaplen
    head.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    this.parts.push(head);
  }

  /** Appends one RTP packet in the next 20 ms slot. */
  add(rtp: Buffer): void {
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(6000, 0);
    udp.writeUInt16BE(6000, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip[8] = 64;
    ip[9] = 17; // UDP
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    const usec = this.slot++ * 20000;
    rec.writeUInt32LE(Math.floor(usec / 1e6), 0);
    rec.writeUInt32LE(usec % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    this.parts.push(rec, frame);
  }

  write(path: string): void {
    writeFileSync(path, Buffer.concat(this.parts));
  }
}

function tonePacket(pt: 0 | 8, freq: number, ts: number): Uint8Array {
  const pcm = new Int16Array(160);
  for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * (ts + i)) / 8000));
  return encodeG711(pcm, pt === 0 ? linearToUlaw : linearToAlaw);
}

/** `packets` 20 ms G.711 packets (PT 0 PCMU or 8 PCMA) of a `freq` Hz tone. */
export function writeTonePcap(path: string, o: { pt: 0 | 8; freq: number; packets: number; ssrc: number }): void {
  const f = new PcapFile();
  for (let k = 0; k < o.packets; k++) {
    f.add(buildRtp({ payloadType: o.pt, sequenceNumber: k, timestamp: k * 160, ssrc: o.ssrc, payload: tonePacket(o.pt, o.freq, k * 160) }));
  }
  f.write(path);
}

/** A PCMU tone pcap `dir/name` (for SIPp's play_pcap_audio); returns its path. */
export function tonePcap(dir: string, name: string, freq: number, packets: number, ssrc: number): string {
  const path = join(dir, name);
  writeTonePcap(path, { pt: 0, freq, packets, ssrc });
  return path;
}

/**
 * A PCMU tone interrupted by one RFC 4733 key press (PT 101: five updates, then the end packet
 * three times, RFC 4733 section 2.5.1.4), then more tone: a caller recording a greeting and
 * pressing a key (`event` 11 = #) to finish. `before` and `after` count tone packets.
 */
export function writeToneKeyPcap(path: string, o: { freq: number; before: number; event: number; after: number; ssrc: number }): void {
  const f = new PcapFile();
  let seq = 0;
  let ts = 0;
  const tone = (n: number): void => {
    for (let k = 0; k < n; k++) {
      f.add(buildRtp({ payloadType: 0, sequenceNumber: seq++ & 0xffff, timestamp: ts, ssrc: o.ssrc, payload: tonePacket(0, o.freq, ts) }));
      ts += 160;
    }
  };
  tone(o.before);
  for (let i = 0; i < 8; i++) {
    const end = i >= 5;
    const duration = (Math.min(i, 5) + 1) * 160;
    f.add(buildRtp({
      payloadType: 101, sequenceNumber: seq++ & 0xffff, timestamp: ts, ssrc: o.ssrc, marker: i === 0,
      payload: Buffer.from([o.event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]),
    }));
  }
  ts += 6 * 160;
  tone(o.after);
  f.write(path);
}
