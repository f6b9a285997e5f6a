import { createUpsampler } from '../halfband';
import type { Upsampler } from '../resampler';
import { mixInto, type ChannelMode } from '../mixer';
import { takePcm } from './pcm-pool';

/**
 * Per-leg resampling (8 kHz -> recording rate) then interleave or mix: the DSP of one recording,
 * pure and streaming. Every leg gets the same number of input samples per call, so their
 * resamplers stay in lockstep and produce equal lengths. Stereo is interleaved by the resamplers
 * writing every other sample; mono mixes from per-leg buffers reused across calls.
 */
export class Renderer {
  private readonly ups: Upsampler[];
  private readonly scratch: Int16Array[];

  constructor(legs: number, readonly outRate: number, readonly mode: ChannelMode, inRate = 8000) {
    this.ups = Array.from({ length: legs }, () => createUpsampler(inRate, outRate));
    this.scratch = Array.from({ length: legs }, () => new Int16Array(0));
  }

  /**
   * An array of its own each call, from the thread's PCM pool: the encoder may hold it (lame's
   * socket) after render returns, and the caller gives it back (givePcm) once it is written.
   */
  render(legs: readonly Int16Array[]): Int16Array {
    const n = legs[0].length;
    for (const l of legs) if (l.length !== n) throw new RangeError('legs differ in length');
    const m = this.ups[0].outputCount(n);
    if (this.mode === 'stereo') {
      const out = takePcm(2 * m);
      this.ups[0].processInto(legs[0], n, out, 0, 2);
      if (legs.length > 1) this.ups[1].processInto(legs[1], n, out, 1, 2);
      else for (let i = 0; i < 2 * m; i += 2) out[i + 1] = out[i];
      return out;
    }
    const out = takePcm(m);
    if (legs.length === 1) {
      this.ups[0].processInto(legs[0], n, out, 0, 1);
      return out;
    }
    for (let i = 0; i < legs.length; i++) {
      if (this.scratch[i].length < m) this.scratch[i] = new Int16Array(m);
      this.ups[i].processInto(legs[i], n, this.scratch[i], 0, 1);
    }
    mixInto(this.scratch, m, 'mono', out);
    return out;
  }
}
