/**
 * The stereo waveform of a recording: decoded by Web Audio (decodeAudioData), drawn as one lane
 * per channel, min/max per pixel column. The recorder writes the caller on the left channel
 * and the callee on the right, so the lanes are labelled that way.
 */

export const LANE_LABELS = ['Caller (left channel)', 'Callee (right channel)'];

export async function decode(bytes: ArrayBuffer): Promise<AudioBuffer> {
  // An offline context decodes without an audio device or a user gesture; 16 kHz is enough to draw.
  const ctx = new OfflineAudioContext(2, 1, 16_000);
  return ctx.decodeAudioData(bytes);
}

/**
 * Marks the paused stretches over the lanes: a grey band over the silence it left, or a red line
 * where an omitted stretch was cut out of the file.
 */
export function markPauses(canvas: HTMLCanvasElement, durationSec: number, pauses: readonly { offset_ms: number; duration_ms: number; omitted: boolean }[]): void {
  const g = canvas.getContext('2d');
  if (!g || durationSec <= 0) return;
  const px = (ms: number): number => (ms / 1000 / durationSec) * canvas.width;
  for (const p of pauses) {
    const x = px(p.offset_ms);
    if (p.omitted) {
      g.fillStyle = '#c0392b';
      g.fillRect(x - 1, 0, 2, canvas.height);
    } else {
      g.fillStyle = 'rgba(90, 90, 90, 0.35)';
      g.fillRect(x, 0, Math.max(1, px(p.duration_ms)), canvas.height);
    }
  }
}

export function draw(canvas: HTMLCanvasElement, buf: AudioBuffer): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width, height } = canvas;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  const lanes = Math.min(buf.numberOfChannels, 2);
  const laneH = height / lanes;
  for (let ch = 0; ch < lanes; ch++) {
    const data = buf.getChannelData(ch);
    const mid = laneH * ch + laneH / 2;
    const per = Math.max(1, Math.floor(data.length / width));
    g.fillStyle = ch === 0 ? '#1d5fa8' : '#a8431d';
    for (let x = 0; x < width; x++) {
      let lo = 0;
      let hi = 0;
      const end = Math.min(data.length, (x + 1) * per);
      for (let i = x * per; i < end; i++) {
        const v = data[i] ?? 0;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const top = mid - hi * (laneH / 2 - 4);
      g.fillRect(x, top, 1, Math.max(1, (hi - lo) * (laneH / 2 - 4)));
    }
    g.strokeStyle = '#cccccc';
    g.beginPath();
    g.moveTo(0, laneH * (ch + 1));
    g.lineTo(width, laneH * (ch + 1));
    g.stroke();
    g.fillStyle = '#222222';
    g.font = '12px sans-serif';
    g.fillText(lanes === 1 ? 'Mono' : (LANE_LABELS[ch] ?? ''), 6, laneH * ch + 14);
  }
}
