import type { SpoolKey } from '../../atrest/keyring';
import type { EncoderPriority } from '../spawner/priority';

export { openPrivate, openOutput, type FileOutput } from '../../atrest/file-output';

/** A file encoder fed interleaved 16-bit PCM at the recording's rate and channel count. */
export interface AudioFileWriter {
  write(interleaved: Int16Array): void | Promise<void>;
  /** Finishes the file (headers, encoder flush); resolves with its size in bytes. Idempotent. */
  close(): Promise<number>;
}

export type RecordingFormat = 'wav' | 'mp3';
export type Mp3Backend = 'wasm' | 'lame-cli';

/** What a worker needs to open a recording's output. */
export interface OutputSpec {
  readonly path: string;
  readonly format: RecordingFormat;
  readonly sampleRate: number;
  readonly channelMode: 'stereo' | 'mono';
  /** How many legs each PCM message carries (1 for record_caller, 2 otherwise). */
  readonly legs: number;
  readonly mp3Backend: Mp3Backend;
  readonly mp3BitrateKbps?: number;
  readonly lamePath?: string;
  /** lame -q (0-9) for the lame-cli backend. */
  readonly mp3Quality?: number;
  /** How the lame process yields the CPU (lame-cli backend); 0 or absent: as this process. */
  readonly encoderNice?: EncoderPriority;
  /** Encrypt the file as it is written (encryption at rest); absent: plain. */
  readonly encryption?: SpoolKey;
  /** The lame spawner's socket (lame-cli backend): the service never forks itself per recording. */
  readonly spawner?: string;
}
