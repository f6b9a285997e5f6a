/**
 * The notice-of-recording beep: a sine as a WAV (RIFF, PCM 16-bit mono, 8 kHz) for rtpengine's
 * `play media`. Default: 0.5 s at 1400 Hz, clear of the parties' speech
 * band's strongest formants and of every DTMF frequency (RFC 4733 events are not disturbed).
 */
const RATE = 8000;

export function toneWav(freqHz = 1400, durationMs = 500, amplitude = 0.5): Buffer {
  const samples = Math.round((RATE * durationMs) / 1000);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freqHz * i) / RATE)), i * 2);
  }
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVEfmt ', 8, 'ascii');
  head.writeUInt32LE(16, 16); // fmt chunk size
  head.writeUInt16LE(1, 20); // PCM
  head.writeUInt16LE(1, 22); // mono
  head.writeUInt32LE(RATE, 24);
  head.writeUInt32LE(RATE * 2, 28); // byte rate
  head.writeUInt16LE(2, 32); // block align
  head.writeUInt16LE(16, 34); // bits per sample
  head.write('data', 36, 'ascii');
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}
