/**
 * Combines equal-length per-leg PCM into the recording's sample layout: stereo interleave
 * (left = caller = legs[0], right = callee = legs[1]) or a mono mix (sum, clipped to 16 bits).
 * With a single leg (record_caller), stereo carries it on both channels. The Renderer interleaves
 * stereo as it resamples (no pass of its own); this is its mono mix and the reference layout.
 */
export type ChannelMode = 'stereo' | 'mono';

/** Writes legs[*][0..n) laid out for `mode` into out (n samples mono, 2n stereo). */
export function mixInto(legs: readonly Int16Array[], n: number, mode: ChannelMode, out: Int16Array): void {
  if (legs.length === 0) throw new RangeError('no legs to mix');
  for (const l of legs) if (l.length < n) throw new RangeError('legs differ in length');
  if (mode === 'mono') {
    if (legs.length === 1) {
      out.set(legs[0].subarray(0, n));
      return;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < legs.length; k++) s += legs[k][i];
      out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
    return;
  }
  const left = legs[0];
  const right = legs.length > 1 ? legs[1] : legs[0];
  for (let i = 0; i < n; i++) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
}

export function channelCount(mode: ChannelMode): 1 | 2 {
  return mode === 'stereo' ? 2 : 1;
}
