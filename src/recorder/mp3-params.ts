/** MP3 parameters the recorder uses, shared by the encoder worker and the benchmark. */
export type Mp3SampleRate = 8000 | 11025 | 12000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000;

export const MP3_SAMPLE_RATES: readonly Mp3SampleRate[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

export function isMp3SampleRate(rate: number): rate is Mp3SampleRate {
  return (MP3_SAMPLE_RATES as readonly number[]).includes(rate);
}

/**
 * CBR bitrate for telephone audio: enough per channel for speech band-limited at 4 kHz (the
 * source is G.711), within what each MPEG version allows (MPEG-2.5 at 8-12 kHz tops at 64 kbps,
 * MPEG-2 at 16-24 kHz at 160, MPEG-1 at 320).
 */
export function mp3BitrateKbps(rate: number, channels: 1 | 2): number {
  const perChannel = rate <= 12000 ? 16 : rate <= 16000 ? 24 : rate <= 24000 ? 32 : 48;
  const cap = rate <= 12000 ? 64 : rate <= 24000 ? 160 : 320;
  return Math.min(cap, perChannel * channels);
}
