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

/** Zeroth-order modified Bessel function of the first kind (power series), for the Kaiser window. */
function besselI0(x: number): number {
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

export class Resampler {
  readonly up: number;
  readonly down: number;
  private readonly taps: number;
  private readonly table: Float32Array | null;
  /** Last taps-1 inputs, oldest first. */
  private hist: Float32Array;
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
    this.table = this.up === 1 && this.down === 1 ? null : designPolyphase(this.up, this.taps, 0.92, o.beta ?? 5);
    this.hist = new Float32Array(this.taps - 1);
  }

  /** Exact number of outputs process() will return for the next `n` inputs. */
  outputCount(n: number): number {
    if (this.table === null) return n;
    let count = 0;
    let p = this.phase;
    let idx = this.nextIn;
    while (idx < n) {
      count++;
      p += this.down;
      while (p >= this.up) {
        p -= this.up;
        idx++;
      }
    }
    return count;
  }

  process(input: Int16Array): Int16Array {
    const table = this.table;
    if (table === null) return input.slice();
    const T = this.taps;
    const h = T - 1;
    const work = new Float32Array(h + input.length);
    work.set(this.hist, 0);
    for (let i = 0; i < input.length; i++) work[h + i] = input[i];
    const out = new Int16Array(this.outputCount(input.length));
    let p = this.phase;
    let idx = this.nextIn;
    for (let k = 0; k < out.length; k++) {
      // y = sum_j h_p[j] * x[idx - j]
      const base = p * T;
      const newest = h + idx;
      let acc = 0;
      for (let j = 0; j < T; j++) acc += table[base + j] * work[newest - j];
      const v = Math.round(acc);
      out[k] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      p += this.down;
      while (p >= this.up) {
        p -= this.up;
        idx++;
      }
    }
    this.phase = p;
    this.nextIn = idx - input.length;
    this.hist = work.slice(work.length - h);
    return out;
  }
}
