/**
 * ITU-T G.711 companding (PCMU = mu-law, PCMA = A-law), decoded by 256-entry tables to 16-bit
 * linear PCM. G.711 is stateless, one octet per sample at 8000 Hz (RFC 3551 section 4.5.14),
 * which is why the recorder may decode a packet as soon as it arrives, before reordering.
 */

export const PT_PCMU = 0;
export const PT_PCMA = 8;

function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  // The 0x84 bias (33 in the 14-bit domain, scaled by 4) makes each segment start at a power of two.
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawToLinear(code: number): number {
  // Even bits are inverted on the wire (G.711 A-law "alternate bit inversion").
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function table(fn: (c: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let c = 0; c < 256; c++) t[c] = fn(c);
  return t;
}

export const ULAW_TABLE: Readonly<Int16Array> = table(ulawToLinear);
export const ALAW_TABLE: Readonly<Int16Array> = table(alawToLinear);

/** Decodes G.711 octets into `out` (allocated when absent); returns the samples. */
export function decodeG711(payload: Uint8Array, lawTable: Readonly<Int16Array>, out?: Int16Array): Int16Array {
  const dst = out ?? new Int16Array(payload.length);
  decodeG711Into(payload, 0, payload.length, lawTable, dst);
  return dst;
}

/**
 * Decodes octets [start, end) of `src` (an RTP datagram: no payload view needed) into `out`
 * from index 0, which must hold end - start samples: the recorder's per-packet path, no allocation.
 */
export function decodeG711Into(src: Uint8Array, start: number, end: number, lawTable: Readonly<Int16Array>, out: Int16Array): void {
  for (let i = start, j = 0; i < end; i++, j++) out[j] = lawTable[src[i]];
}

/** The decode table for an RTP static payload type, or undefined when the recorder cannot decode it. */
export function tableForPayloadType(pt: number): Readonly<Int16Array> | undefined {
  if (pt === PT_PCMU) return ULAW_TABLE;
  if (pt === PT_PCMA) return ALAW_TABLE;
  return undefined;
}

const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(v: number, ends: readonly number[]): number {
  for (let s = 0; s < ends.length; s++) if (v <= ends[s]) return s;
  return ends.length;
}

/** Linear 16-bit -> mu-law octet (used to generate test and benchmark traffic). */
export function linearToUlaw(sample: number): number {
  let v = sample >> 2; // 14-bit domain
  let mask = 0xff;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  }
  if (v > 8159) v = 8159;
  v += 33;
  const seg = segment(v, ULAW_SEG_END);
  return (((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}

/** Linear 16-bit -> A-law octet (used to generate test and benchmark traffic). */
export function linearToAlaw(sample: number): number {
  let v = sample >> 3; // 13-bit domain
  let mask = 0xd5;
  if (v < 0) {
    v = -v - 1;
    mask = 0x55;
  }
  const seg = segment(v, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const mant = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | mant) ^ mask;
}

export function encodeG711(samples: Int16Array, encode: (s: number) => number): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i]);
  return out;
}
