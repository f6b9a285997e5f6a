import { closeSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import type { SpoolKey } from '../../atrest/keyring';
import { openOutput, openPrivate, type AudioFileWriter, type FileOutput } from './writer';
import { mp3BitrateKbps, isMp3SampleRate } from '../mp3-params';
import { EncoderError } from '../errors';
import { startLame, type LameProcess } from '../spawner/lame-process';
import type { EncoderPriority } from '../spawner/priority';

export interface LameOptions {
  readonly kbps?: number;
  readonly lameBin?: string;
  readonly quality?: number;
  /** How the lame process yields the CPU (0: as the service; spawner/priority.ts). */
  readonly nice?: EncoderPriority;
  readonly encryption?: SpoolKey;
  /** The lame spawner's socket (src/recorder/spawner); absent: lame is forked from this process. */
  readonly spawner?: string;
  /** How long lame may take no input, or not exit once its input ended, before it is killed as hung. */
  readonly stallMs?: number;
}

/**
 * A lame that takes nothing for this long is hung, not slow: niced or SCHED_IDLE on a saturated
 * machine it still gets a share of a core (CFS weights: 3 for SCHED_IDLE against 1024 for a
 * normal task) and encodes far faster than real time.
 * Without a limit its recording would never finish and its call's audio would wait for it forever.
 */
export const LAME_STALL_MS = 120_000;

/** The native `lame` encoder in a child process, fed raw PCM through its stdin (a pipe, or the spawner's socket). */
export class Mp3LameCliWriter implements AudioFileWriter {
  private readonly lame: LameProcess;
  /** Encrypted output: lame writes to its stdout, sealed here as it comes (it never touches the disk in clear). */
  private readonly sealed: FileOutput | null;
  private readonly drained: Promise<void>;
  private closed: Promise<number> | null = null;
  private failure: Error | null = null;
  private readonly stallMs: number;
  /** lame.ready has settled (the first write waits for it; later ones need not). */
  private started = false;
  /** lame has exited: nothing written now would be encoded. */
  private gone = false;
  /**
   * The write lame's socket has not taken yet: OutputJob writes one batch at a time. Settled by
   * the socket write's callback or lame's exit, or rejected by the stall limit.
   */
  private pending: { resolve: () => void; reject: (err: Error) => void } | null = null;
  /**
   * The stall limit's one timer, re-armed by each write (Timeout.refresh allocates nothing).
   * A timer and a Promise.race per write were most of what the recorder thread allocated.
   */
  private stallTimer: NodeJS.Timeout | null = null;
  private readonly written = (): void => this.settle();

  constructor(private readonly path: string, sampleRate: number, channels: 1 | 2, o: LameOptions = {}) {
    if (!isMp3SampleRate(sampleRate)) throw new EncoderError(`MP3 cannot carry ${sampleRate} Hz`);
    this.stallMs = o.stallMs ?? LAME_STALL_MS;
    const encryption = o.encryption;
    // Encrypted: lame writes to a pipe, so it cannot seek back to write its LAME/Info tag (see README, Known limits).
    const args = lameArgs(sampleRate, channels, o.kbps ?? mp3BitrateKbps(sampleRate, channels), o.quality, encryption ? '-' : path);
    const start = { bin: o.lameBin ?? 'lame', args, nice: o.nice ?? 0, stdout: encryption !== undefined, ...(o.spawner !== undefined ? { spawner: o.spawner } : {}) };
    if (encryption) {
      this.sealed = openOutput(path, encryption);
      this.lame = startLame(start);
      const out = this.lame.output as NonNullable<LameProcess['output']>;
      out.on('data', (b: Buffer) => {
        try {
          this.sealed?.write(b);
        } catch (err) {
          this.failure ??= err as Error;
        }
      });
      this.drained = new Promise((resolve) => out.once('close', () => resolve()));
    } else {
      this.sealed = null;
      this.drained = Promise.resolve();
      // lame creates its output with fopen (0666 less the umask); created owner-only here first,
      // lame truncates it and the mode stays.
      closeSync(openPrivate(path));
      this.lame = startLame(start);
    }
    this.lame.input.on('error', (err: Error) => {
      this.failure ??= err;
    });
    // A lame that is gone never takes its input: its exit ends the wait, and the next write fails.
    void this.lame.exited.then(() => {
      this.gone = true;
      this.settle();
    });
  }

  /** The lame process, once started (for diagnostics and tests). */
  async pid(): Promise<number | undefined> {
    await this.lame.ready.catch(() => undefined);
    return this.lame.pid();
  }

  write(interleaved: Int16Array): Promise<void> {
    if (!this.started) {
      return this.lame.ready.then(
        () => undefined,
        (err: Error) => {
          this.failure ??= err;
        },
      ).then(() => {
        this.started = true;
        return this.write(interleaved);
      });
    }
    const failure = this.failure ?? this.lame.failure();
    if (failure) return Promise.reject(new EncoderError(`lame failed: ${failure.message}`));
    if (this.gone) return Promise.reject(new EncoderError('lame exited before its input ended'));
    if (this.pending !== null) return Promise.reject(new EncoderError('lame writer: a write while the last one is pending'));
    // Settled once the kernel has all of it (the write's callback; also called with the error
    // when the socket fails), so the caller may reuse the array (pcm-pool.ts); the kernel's
    // socket buffer still decouples us from lame. A hung lame is killed by the stall limit.
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject };
      // Unref'd: the socket write itself keeps the thread alive while it is pending.
      if (this.stallTimer === null) this.stallTimer = setTimeout(() => this.stalled(), this.stallMs).unref();
      else this.stallTimer.refresh();
      this.lame.input.write(pcmBytes(interleaved), this.written);
    });
  }

  private settle(): void {
    const p = this.pending;
    this.pending = null;
    p?.resolve();
  }

  /** The stall limit ran out since the last write began: if that write is still pending, lame is hung. */
  private stalled(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    p.reject(this.killHung('took no audio'));
  }

  /** Kills lame (SIGKILL: a stopped process takes no SIGTERM) and says why. */
  private killHung(what: string): EncoderError {
    const pid = this.lame.pid();
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    return new EncoderError(`lame ${what} for ${this.stallMs / 1000} s: killed as hung`);
  }

  /** `p`, or a hung lame killed and reported when it takes longer than the stall limit. */
  private async within<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.killHung(what)), this.stallMs);
    });
    try {
      return await Promise.race([p, stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<number> {
    this.closed ??= (async () => {
      await this.lame.ready.catch(() => undefined);
      if (this.stallTimer !== null) clearTimeout(this.stallTimer);
      this.lame.input.end();
      const code = await this.within(this.lame.exited, 'did not finish');
      await this.drained;
      const bytes = this.sealed ? this.sealed.close() : statSync(this.path).size;
      const failure = this.failure ?? this.lame.failure();
      if (code !== 0 || failure) throw new EncoderError(`lame exited with ${code}${failure ? `: ${failure.message}` : ''}`);
      return bytes;
    })();
    return this.closed;
  }
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * lame reads little-endian PCM: on a little-endian host the samples' own memory is passed as is
 * (the caller does not reuse the array before write() settles); otherwise it is byte-swapped.
 */
function pcmBytes(pcm: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const b = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i], i * 2);
  return b;
}

/**
 * The lame command line the recorder runs (raw 16-bit little-endian PCM on stdin), shared with
 * bench/encode.ts so the benchmark measures exactly this.
 */
export function lameArgs(sampleRate: number, channels: 1 | 2, kbps: number, quality: number | undefined, out: string): string[] {
  const khz = String(sampleRate / 1000);
  const rate = String(kbps);
  // --resample: without it lame picks its own output rate for the bitrate (48 kHz mono at
  // 48 kbps came out at 32 kHz), so the file would not have the rate the policy asked for.
  // --abr pinned by -b/-B instead of plain CBR -b: every audio frame is still at `rate`, but in
  // CBR lame puts the Xing/Info + LAME tag (which carries the encoder delay and padding that
  // decoders trim) into a first frame of the stream's own bitrate, and at low rates that frame
  // is too small (8 kHz mono 16 kbps: 144 bytes < 169 needed), so lame silently drops the tag
  // and the file decodes ~0.14-0.16 s long. In ABR lame writes the tag into a frame of a fixed,
  // larger bitrate, so every rate x channel mode carries it.
  // --noreplaygain: ReplayGain analysis only fills a loudness field of that tag that nothing
  // reading a call recording uses, and it costs about a third of lame's time (bench:encode).
  return ['--quiet', '--noreplaygain', '-r', '-s', khz, '--resample', khz, '--bitwidth', '16', '--signed', '--little-endian',
    '-m', channels === 2 ? 's' : 'm', '--abr', rate, '-b', rate, '-B', rate,
    ...(quality === undefined ? [] : ['-q', String(quality)]), '-', out];
}
