/** Test-side signal helpers (tone generation and Goertzel power), shared by the recorder tests. */
import type { FrameSink } from '../../../src/recorder/jitter-buffer';

/** A released frame as a test sees it: a copy of its samples, or null when missing. */
export interface Frame {
  readonly pos: number;
  readonly samples: Int16Array | null;
}

/** FrameSink that keeps copies, for assertions: take() returns what arrived since the last take. */
export class FrameCollector implements FrameSink {
  private frames: Frame[] = [];

  frame(pos: number, samples: Int16Array | null, n: number): void {
    this.frames.push({ pos, samples: samples === null ? null : samples.slice(0, n) });
  }

  take(): Frame[] {
    const out = this.frames;
    this.frames = [];
    return out;
  }
}

export function tone(freq: number, rate: number, n: number, amplitude = 10000, startSample = 0): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * (startSample + i)) / rate));
  return out;
}

/** Amplitude of `freq` in x (Goertzel), scaled so a pure sine of amplitude A reads about A. */
export function goertzel(x: ArrayLike<number>, rate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2)) / x.length) * 2;
}

/** The frequency among `candidates` with the most power in x. */
export function dominant(x: ArrayLike<number>, rate: number, candidates: readonly number[]): number {
  let best = candidates[0];
  let bestP = -1;
  for (const f of candidates) {
    const p = goertzel(x, rate, f);
    if (p > bestP) {
      bestP = p;
      best = f;
    }
  }
  return best;
}
