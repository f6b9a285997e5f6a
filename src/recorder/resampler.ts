/**
 * Streaming rational-ratio resampler (polyphase FIR, Kaiser-windowed sinc) from the 8 kHz
 * G.711 rate up to record_sample_rate. The output rate is in/out = M/L after reduction by the
 * gcd (8000 -> 22050 is L=441, M=160); each output sample uses one of L phases of T taps, so the
 * cost is T multiply-adds per output sample whatever the ratio. State (the last T-1 inputs and
 * the phase) carries across chunks, so chunking does not change the output.
 */

export interface ResamplerOptions {
  readonly inRate: number;
  readonly outRate: number;
  /** Taps per phase; more = sharper anti-imaging filter, linear cost. */
  readonly taps?: number;
  /** Kaiser beta (about 0.1102 * (A - 8.7) for A dB of stopband attenuation). */
  readonly beta?: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A streaming 8 kHz -> record_sample_rate converter (this generic one, or the exact 2x HalfBand2x). */
export interface Upsampler {
  /** Exact number of outputs processInto() writes for the next `n` inputs. */
  outputCount(n: number): number;
  /**
   * Converts input[0..n) and writes the outputs to out[offset], out[offset + stride], ... (stride 2
   * interleaves a stereo channel in place): no allocation.
   */
  processInto(input: Int16Array, n: number, out: Int16Array, offset: number, stride: number): void;
}

/** Zeroth-order modified Bessel function of the first kind (power series), for the Kaiser window. */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** Phase-major polyphase table: coefficient j of phase p at p * taps + j, each phase summing to 1. */
export function designPolyphase(up: number, taps: number, cutoff: number, beta: number): Float32Array {
  const n = up * taps;
  const centre = (n - 1) / 2;
  const i0b = besselI0(beta);
  const proto = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = i - centre;
    // cutoff is relative to the input Nyquist; at the upsampled rate it is cutoff / up.
    const fc = cutoff / up;
    const sinc = x === 0 ? fc : Math.sin(Math.PI * fc * x) / (Math.PI * x);
    const r = (2 * i) / (n - 1) - 1;
    proto[i] = sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b);
  }
  const table = new Float32Array(n);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let j = 0; j < taps; j++) sum += proto[p + j * up];
    for (let j = 0; j < taps; j++) table[p * taps + j] = proto[p + j * up] / sum;
  }
  return table;
}

/**
 * The 16-tap dot product written out: twice the speed of the loop in V8 (the resampler is about
 * half of a recording's encoder-thread time), same additions in the same order, so identical.
 */
function dot16(c: Float64Array, b: number, x: Float64Array, i: number): number {
  return c[b] * x[i] + c[b + 1] * x[i + 1] + c[b + 2] * x[i + 2] + c[b + 3] * x[i + 3]
    + c[b + 4] * x[i + 4] + c[b + 5] * x[i + 5] + c[b + 6] * x[i + 6] + c[b + 7] * x[i + 7]
    + c[b + 8] * x[i + 8] + c[b + 9] * x[i + 9] + c[b + 10] * x[i + 10] + c[b + 11] * x[i + 11]
    + c[b + 12] * x[i + 12] + c[b + 13] * x[i + 13] + c[b + 14] * x[i + 14] + c[b + 15] * x[i + 15];
}

export class Resampler implements Upsampler {
  readonly up: number;
  readonly down: number;
  private readonly taps: number;
  /** Per phase, the coefficients in input order (oldest first), as doubles: no per-tap conversion. */
  private readonly table: Float64Array | null;
  /** The last taps-1 inputs (oldest first) followed by the current chunk; grown, never shrunk. */
  private work: Float64Array;
  private phase = 0;
  /** Index (relative to the next chunk's first sample) of the newest input the next output uses. */
  private nextIn = 0;

  constructor(o: ResamplerOptions) {
    if (o.outRate < o.inRate) throw new RangeError('the resampler only converts upwards');
    const g = gcd(o.inRate, o.outRate);
    this.up = o.outRate / g;
    this.down = o.inRate / g;
    // 16 taps, beta 5: flat to 3 kHz (-0.2 dB), images of the G.711 band >= 55 dB down, at half
    // the cost of 24 taps (bench:encode prints the stage cost).
    this.taps = o.taps ?? 16;
    if (this.up === 1 && this.down === 1) {
      this.table = null;
    } else {
      const t = designPolyphase(this.up, this.taps, 0.92, o.beta ?? 5);
      // Reversed per phase so that the dot product walks coefficients and inputs forward.
      this.table = new Float64Array(t.length);
      for (let p = 0; p < this.up; p++) {
        for (let j = 0; j < this.taps; j++) this.table[p * this.taps + (this.taps - 1 - j)] = t[p * this.taps + j];
      }
    }
    this.work = new Float64Array(this.taps - 1 + 1024);
  }

  /** Exact number of outputs process() will return for the next `n` inputs. */
  outputCount(n: number): number {
    if (this.table === null) return n;
    // Outputs k = 0.. are taken while nextIn + floor((phase + k * down) / up) < n.
    const span = (n - this.nextIn) * this.up - this.phase;
    return span <= 0 ? 0 : Math.ceil(span / this.down);
  }

  /** process into a new array (tests, tools). */
  process(input: Int16Array): Int16Array {
    const out = new Int16Array(this.outputCount(input.length));
    this.processInto(input, input.length, out, 0, 1);
    return out;
  }

  processInto(input: Int16Array, n: number, out: Int16Array, offset: number, stride: number): void {
    const table = this.table;
    if (table === null) {
      for (let i = 0; i < n; i++) out[offset + i * stride] = input[i];
      return;
    }
    const T = this.taps;
    const h = T - 1;
    if (this.work.length < h + n) {
      const grown = new Float64Array(h + n);
      grown.set(this.work.subarray(0, h));
      this.work = grown;
    }
    const work = this.work;
    for (let i = 0; i < n; i++) work[h + i] = input[i];
    const count = this.outputCount(n);
    const up = this.up;
    const down = this.down;
    let p = this.phase;
    let idx = this.nextIn;
    for (let k = 0; k < count; k++) {
      // y = sum_j h_p[j] * x[idx - j]; work[idx .. idx + h] holds x[idx - h .. idx].
      const base = p * T;
      let acc: number;
      if (T === 16) {
        acc = dot16(table, base, work, idx);
      } else {
        acc = 0;
        for (let j = 0; j < T; j++) acc += table[base + j] * work[idx + j];
      }
      const v = Math.round(acc);
      out[offset + k * stride] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      p += down;
      if (p >= up) {
        const q = Math.floor(p / up);
        p -= q * up;
        idx += q;
      }
    }
    this.phase = p;
    this.nextIn = idx - n;
    // Keep the last taps-1 inputs for the next chunk.
    work.copyWithin(0, n, n + h);
  }
}
