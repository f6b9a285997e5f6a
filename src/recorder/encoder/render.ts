import { Resampler } from '../resampler';
import { mixLegs, type ChannelMode } from '../mixer';

/**
 * Per-leg resampling (8 kHz -> recording rate) then interleave or mix: the DSP of one recording,
 * pure and streaming. Every leg gets the same number of input samples per call, so their
 * resamplers stay in lockstep and produce equal lengths.
 */
export class Renderer {
  private readonly resamplers: Resampler[];

  constructor(legs: number, readonly outRate: number, readonly mode: ChannelMode, inRate = 8000) {
    this.resamplers = Array.from({ length: legs }, () => new Resampler({ inRate, outRate }));
  }

  render(legs: readonly Int16Array[]): Int16Array {
    return mixLegs(legs.map((l, i) => this.resamplers[i].process(l)), this.mode);
  }
}
