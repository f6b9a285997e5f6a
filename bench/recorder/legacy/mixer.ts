/* Bench-only copy of src/recorder/mixer.ts as of 10f1489 (before issue 14's changes): the competitor bench:recorder-stages compares today's stage with, in the same run. Not used by the service. */
/**
 * Combines equal-length per-leg PCM chunks into the recording's sample layout: stereo interleave
 * (left = caller = legs[0], right = callee = legs[1]) or a mono mix (sum, clipped to 16 bits).
 * With a single leg (record_caller), stereo carries it on both channels.
 */
export type ChannelMode = 'stereo' | 'mono';

export function mixLegs(legs: readonly Int16Array[], mode: ChannelMode): Int16Array {
  if (legs.length === 0) throw new RangeError('no legs to mix');
  const n = legs[0].length;
  for (const l of legs) if (l.length !== n) throw new RangeError('legs differ in length');
  if (mode === 'mono') {
    if (legs.length === 1) return legs[0].slice();
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (const l of legs) s += l[i];
      out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
    return out;
  }
  const left = legs[0];
  const right = legs.length > 1 ? legs[1] : legs[0];
  const out = new Int16Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

