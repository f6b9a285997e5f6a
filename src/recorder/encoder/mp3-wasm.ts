import { createMp3Encoder, type WasmMediaEncoder } from 'wasm-media-encoders';
import type { SpoolKey } from '../../atrest/keyring';
import { openOutput, type AudioFileWriter, type FileOutput } from './writer';
import { mp3BitrateKbps, isMp3SampleRate } from '../mp3-params';
import { EncoderError } from '../errors';

type Kbps = 8 | 16 | 24 | 32 | 40 | 48 | 64 | 80 | 96 | 112 | 128 | 160 | 192 | 224 | 256 | 320;

/** LAME compiled to WebAssembly, writing MP3 frames to the file as they come out. */
export class Mp3WasmWriter implements AudioFileWriter {
  private bytes = 0;
  private closed: Promise<number> | null = null;
  private readonly planes: Float32Array[];

  private constructor(
    private readonly enc: WasmMediaEncoder<'audio/mpeg'>,
    private readonly file: FileOutput,
    private readonly channels: 1 | 2,
  ) {
    this.planes = [];
  }

  static async create(path: string, sampleRate: number, channels: 1 | 2, kbps?: number, encryption?: SpoolKey): Promise<Mp3WasmWriter> {
    if (!isMp3SampleRate(sampleRate)) throw new EncoderError(`MP3 cannot carry ${sampleRate} Hz`);
    const enc = await createMp3Encoder();
    enc.configure({ sampleRate, channels, bitrate: (kbps ?? mp3BitrateKbps(sampleRate, channels)) as Kbps });
    return new Mp3WasmWriter(enc, openOutput(path, encryption), channels);
  }

  write(interleaved: Int16Array): void {
    const n = interleaved.length / this.channels;
    for (let c = 0; c < this.channels; c++) {
      if (this.planes[c] === undefined || this.planes[c].length < n) this.planes[c] = new Float32Array(n);
    }
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < this.channels; c++) this.planes[c][i] = interleaved[i * this.channels + c] / 32768;
    }
    this.out(this.enc.encode(this.planes.map((p) => p.subarray(0, n))));
  }

  close(): Promise<number> {
    this.closed ??= Promise.resolve().then(() => {
      this.out(this.enc.finalize());
      this.file.close();
      return this.bytes;
    });
    return this.closed;
  }

  private out(data: Uint8Array): void {
    // The encoder owns `data` (a view into wasm memory): write it before the next call.
    if (data.length === 0) return;
    this.file.write(data);
    this.bytes += data.length;
  }
}
