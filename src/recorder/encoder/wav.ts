import type { SpoolKey } from '../../atrest/keyring';
import { openOutput, type AudioFileWriter, type FileOutput } from './writer';

/**
 * The 44-byte canonical RIFF/WAVE header for 16-bit PCM. While recording, the sizes are written
 * as 0 (a reader sees an empty but valid file); close() rewrites the header with the real sizes.
 */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  const blockAlign = channels * 2;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size for PCM
  h.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28); // byte rate
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A write per 500 ms batch at 16 kHz stereo (32 KB): little held in memory per recording, few writes. */
const FLUSH_BYTES = 32 * 1024;

/** Streams 16-bit little-endian PCM to a WAV file; synchronous I/O because it runs in a worker. */
export class WavFileWriter implements AudioFileWriter {
  private readonly out: FileOutput;
  private dataBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closed = false;

  constructor(readonly path: string, private readonly sampleRate: number, private readonly channels: number, encryption?: SpoolKey) {
    this.out = openOutput(path, encryption, wavHeader(sampleRate, channels, 0));
  }

  write(interleaved: Int16Array): void {
    // Copy: the caller's buffer is reused; Buffer.from(arrayBuffer) would alias it.
    const b = Buffer.allocUnsafe(interleaved.length * 2);
    for (let i = 0; i < interleaved.length; i++) b.writeInt16LE(interleaved[i], i * 2);
    this.pending.push(b);
    this.pendingBytes += b.length;
    this.dataBytes += b.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  async close(): Promise<number> {
    if (!this.closed) {
      this.closed = true;
      this.flush();
      this.out.finishHead(wavHeader(this.sampleRate, this.channels, this.dataBytes));
      this.out.close();
    }
    return 44 + this.dataBytes;
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    this.out.write(Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }
}
