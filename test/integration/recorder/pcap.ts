import { writeFileSync } from 'node:fs';
import { buildRtp } from '../../../src/recorder/rtp';
import { encodeG711, linearToAlaw, linearToUlaw } from '../../../src/recorder/g711';

/**
 * Writes a libpcap file (Ethernet/IPv4/UDP) of 20 ms G.711 RTP packets carrying a tone, for
 * SIPp's play_pcap_audio (which replays the packets, with their timing, to the SDP peer).
 */
export function writeTonePcap(path: string, o: { pt: 0 | 8; freq: number; packets: number; ssrc: number }): void {
  const parts: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16); // snaplen
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(global);
  const enc = o.pt === 0 ? linearToUlaw : linearToAlaw;
  for (let k = 0; k < o.packets; k++) {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * o.freq * (k * 160 + i)) / 8000));
    const rtp = buildRtp({ payloadType: o.pt, sequenceNumber: k, timestamp: k * 160, ssrc: o.ssrc, payload: encodeG711(pcm, enc) });
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
    const usec = k * 20000;
    rec.writeUInt32LE(Math.floor(usec / 1e6), 0);
    rec.writeUInt32LE(usec % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  writeFileSync(path, Buffer.concat(parts));
}
