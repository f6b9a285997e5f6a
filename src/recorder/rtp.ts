import { RtpParseError } from './errors';

/** One parsed RTP packet (RFC 3550 section 5.1). `payload` is a view into the datagram. */
export interface RtpPacket {
  readonly version: 2;
  readonly padding: boolean;
  readonly extension: boolean;
  readonly csrcCount: number;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrc: readonly number[];
  readonly payload: Uint8Array;
}

/**
 * The header fields the recorder uses, parsed in place: one instance per socket is reused for
 * every datagram (no allocation per packet, issue 14). The payload is [payloadStart, payloadEnd)
 * of the datagram.
 */
export class RtpHeader {
  padding = false;
  extension = false;
  csrcCount = 0;
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  timestamp = 0;
  ssrc = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

const FIXED_HEADER = 12;
/** Shared by every packet without CSRCs (nearly all): no allocation per packet. */
const NO_CSRC: readonly number[] = Object.freeze([]);

/**
 * Parses the fixed header, skips the CSRC list and header extension, strips the padding of an
 * RTP datagram into `out`. Throws RtpParseError for anything RFC 3550 section 5.1 / A.1 says a
 * receiver must reject: wrong version, header or extension running past the datagram, padding
 * count of zero or larger than what is left. RTCP that lands on the socket (PT 72-76 with the
 * marker bit, RFC 5761 section 4) is rejected too, as it is not media.
 */
export function parseRtpInto(buf: Uint8Array, out: RtpHeader, start = 0, stop = buf.length): void {
  // buf[start, stop) is the datagram (the batched receiver's slab holds many); offsets in `out` are into buf.
  if (stop - start < FIXED_HEADER) throw new RtpParseError('shorter than the 12-byte fixed header');
  const b0 = buf[start];
  const version = b0 >> 6;
  if (version !== 2) throw new RtpParseError(`version ${version}`);
  const b1 = buf[start + 1];
  const payloadType = b1 & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) throw new RtpParseError(`RTCP packet type ${payloadType | 0x80}`);
  const csrcCount = b0 & 0x0f;
  let offset = start + FIXED_HEADER + csrcCount * 4;
  if (offset > stop) throw new RtpParseError('CSRC list past the end');
  const extension = (b0 & 0x10) !== 0;
  if (extension) {
    // RFC 3550 5.3.1: 16-bit profile field, 16-bit length in 32-bit words excluding the 4-byte header.
    if (offset + 4 > stop) throw new RtpParseError('extension header past the end');
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    offset += 4 + words * 4;
    if (offset > stop) throw new RtpParseError('extension past the end');
  }
  let end = stop;
  const padding = (b0 & 0x20) !== 0;
  if (padding) {
    // RFC 3550 5.1: the last octet counts the padding octets, itself included.
    const pad = buf[stop - 1];
    if (pad === 0 || end - pad < offset) throw new RtpParseError(`padding count ${pad}`);
    end -= pad;
  }
  out.padding = padding;
  out.extension = extension;
  out.csrcCount = csrcCount;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = payloadType;
  out.sequenceNumber = (buf[start + 2] << 8) | buf[start + 3];
  out.timestamp = readU32(buf, start + 4);
  out.ssrc = readU32(buf, start + 8);
  out.payloadStart = offset;
  out.payloadEnd = end;
}

/** parseRtpInto returning a fresh packet with its CSRC list and a payload view (tests, tools). */
export function parseRtp(buf: Uint8Array): RtpPacket {
  const h = new RtpHeader();
  parseRtpInto(buf, h);
  let csrc: readonly number[] = NO_CSRC;
  if (h.csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < h.csrcCount; i++) list.push(readU32(buf, FIXED_HEADER + i * 4));
    csrc = list;
  }
  return {
    version: 2,
    padding: h.padding,
    extension: h.extension,
    csrcCount: h.csrcCount,
    marker: h.marker,
    payloadType: h.payloadType,
    sequenceNumber: h.sequenceNumber,
    timestamp: h.timestamp,
    ssrc: h.ssrc,
    csrc,
    payload: buf.subarray(h.payloadStart, h.payloadEnd),
  };
}

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) >>> 0) + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
}

/** Builds an RTP datagram (no extension, no padding); used by tests, benchmarks and tools. */
export function buildRtp(p: {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload: Uint8Array;
}): Buffer {
  const out = Buffer.alloc(FIXED_HEADER + p.payload.length);
  out[0] = 0x80;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  out.set(p.payload, FIXED_HEADER);
  return out;
}
