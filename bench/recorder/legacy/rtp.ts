/* Bench-only copy of src/recorder/rtp.ts as of 10f1489 (before issue 14's changes): the competitor bench:recorder-stages compares today's stage with, in the same run. Not used by the service. */
import { RtpParseError } from '../../../src/recorder/errors';

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

const FIXED_HEADER = 12;
/** Shared by every packet without CSRCs (nearly all): no allocation per packet. */
const NO_CSRC: readonly number[] = Object.freeze([]);

/**
 * Parses the fixed header, CSRC list, header extension and padding of an RTP datagram.
 * Throws RtpParseError for anything RFC 3550 section 5.1 / A.1 says a receiver must reject:
 * wrong version, header or extension running past the datagram, padding count of zero or
 * larger than what is left. RTCP that lands on the socket (PT 72-76 with the marker bit,
 * RFC 5761 section 4) is rejected too, as it is not media.
 */
export function parseRtp(buf: Uint8Array): RtpPacket {
  if (buf.length < FIXED_HEADER) throw new RtpParseError('shorter than the 12-byte fixed header');
  const b0 = buf[0];
  const version = b0 >> 6;
  if (version !== 2) throw new RtpParseError(`version ${version}`);
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const b1 = buf[1];
  const marker = (b1 & 0x80) !== 0;
  const payloadType = b1 & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) throw new RtpParseError(`RTCP packet type ${payloadType | 0x80}`);
  const sequenceNumber = (buf[2] << 8) | buf[3];
  const timestamp = readU32(buf, 4);
  const ssrc = readU32(buf, 8);
  let offset = FIXED_HEADER + csrcCount * 4;
  if (offset > buf.length) throw new RtpParseError('CSRC list past the end');
  let csrc: readonly number[] = NO_CSRC;
  if (csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < csrcCount; i++) list.push(readU32(buf, FIXED_HEADER + i * 4));
    csrc = list;
  }
  if (extension) {
    // RFC 3550 5.3.1: 16-bit profile field, 16-bit length in 32-bit words excluding the 4-byte header.
    if (offset + 4 > buf.length) throw new RtpParseError('extension header past the end');
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    offset += 4 + words * 4;
    if (offset > buf.length) throw new RtpParseError('extension past the end');
  }
  let end = buf.length;
  if (padding) {
    // RFC 3550 5.1: the last octet counts the padding octets, itself included.
    const pad = buf[buf.length - 1];
    if (pad === 0 || end - pad < offset) throw new RtpParseError(`padding count ${pad}`);
    end -= pad;
  }
  return {
    version: 2,
    padding,
    extension,
    csrcCount,
    marker,
    payloadType,
    sequenceNumber,
    timestamp,
    ssrc,
    csrc,
    payload: buf.subarray(offset, end),
  };
}

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) >>> 0) + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
}
