import { execFileSync } from 'node:child_process';

export interface Decoded {
  readonly sampleRate: number;
  readonly channels: number;
  /** Per channel samples. */
  readonly ch: Int16Array[];
  readonly durationSec: number;
}

/** Decodes any file ffmpeg reads to 16-bit PCM at its own rate and channel count. */
export function decode(path: string): Decoded {
  const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=sample_rate,channels', '-of', 'csv=p=0', path], { encoding: 'utf8', timeout: 30000 }).trim();
  const [rate, channels] = probe.split(',').map(Number);
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 's16le', '-acodec', 'pcm_s16le', '-'], { maxBuffer: 512 * 1024 * 1024, timeout: 60000 });
  const all = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
  const frames = all.length / channels;
  const ch = Array.from({ length: channels }, (_, c) => {
    const x = new Int16Array(frames);
    for (let i = 0; i < frames; i++) x[i] = all[i * channels + c];
    return x;
  });
  return { sampleRate: rate, channels, ch, durationSec: frames / rate };
}

export function rms(x: Int16Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}
