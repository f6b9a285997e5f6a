import { rmSync } from 'node:fs';
import type { AudioFileWriter, OutputSpec } from './writer';
import { WavFileWriter } from './wav';
import { Mp3WasmWriter } from './mp3-wasm';
import { Mp3LameCliWriter } from './mp3-lame-cli';
import { Renderer } from './render';
import type { SpoolKey } from '../../atrest/keyring';
import { SpillFile, type SpilledBatch } from './spill';
import { givePcm } from './pcm-pool';

/**
 * Seconds of audio a recording keeps in memory for a slow encoder; the rest waits on disk
 * (spill.ts). 5 s is 160 KB at 8 kHz two legs: past the overload guard's 2 s backlog (new calls
 * are refused first), within issue 14's 256 KiB per recording at a stall's start.
 */
export const SPILL_AFTER_SEC = 5;

/** A job's limits (defaults: the constants; tests lower them). */
export interface JobLimits {
  /** Audio kept in memory for a slow encoder (s); the rest spills to disk. */
  readonly spillAfterSec?: number;
  /** How long lame may take no audio (or not exit once its input ended) before it counts as hung (s). */
  readonly stallSec?: number;
}

export interface EncodedFile {
  readonly bytes: number;
  /** Sample frames written (per channel). */
  readonly frames: number;
  /** Thread time spent on this recording (resample, mix, encode or feed lame). */
  readonly workSec: number;
}

/** Where a recording's aligned 8 kHz legs go: an encoder in a worker pool or in this thread. */
export interface EncoderSink {
  /** Equal-length 8 kHz chunks, one per leg, in leg order; ownership passes to the sink. */
  write(legs: readonly Int16Array[]): void;
  /** Finishes the file; idempotent. */
  close(): Promise<EncodedFile | null>;
  /** Stops and deletes the file; idempotent (a closed sink stays closed). */
  abort(): Promise<EncodedFile | null>;
}

export interface EncoderFactory {
  open(spec: OutputSpec): EncoderSink;
}

/** The log line for a spill file that could not be written. */
function spillFailed(path: string, err: Error): string {
  return `recorder: spill file ${path} could not be written (${err.message}): the recording's audio waits in memory for its encoder instead`;
}

async function openWriter(spec: OutputSpec, limits: JobLimits): Promise<AudioFileWriter> {
  const channels = spec.channelMode === 'stereo' ? 2 : 1;
  if (spec.format === 'wav') return new WavFileWriter(spec.path, spec.sampleRate, channels, spec.encryption);
  if (spec.mp3Backend === 'lame-cli') {
    return new Mp3LameCliWriter(spec.path, spec.sampleRate, channels, {
      kbps: spec.mp3BitrateKbps, lameBin: spec.lamePath, quality: spec.mp3Quality, nice: spec.encoderNice, encryption: spec.encryption, spawner: spec.spawner,
      ...(limits.stallSec !== undefined ? { stallMs: limits.stallSec * 1000 } : {}),
    });
  }
  return Mp3WasmWriter.create(spec.path, spec.sampleRate, channels, spec.mp3BitrateKbps, spec.encryption);
}

/**
 * One recording's output: resample and mix the legs, stream into the file encoder. Steps run
 * strictly in order through a promise chain (an encoder may be asynchronous: wasm
 * instantiation, pipe backpressure); the first failure stops the job and is reported by finish().
 */
export class OutputJob {
  private readonly renderer: Renderer;
  private writer: AudioFileWriter | null = null;
  private chain: Promise<void>;
  private frames = 0;
  private workSec = 0;
  private failed: Error | null = null;
  private finishing: Promise<EncodedFile | null> | null = null;
  /** 8 kHz frames pushed and not yet through the encoder (lame's pipe applies backpressure). */
  private queuedFrames = 0;
  /** Of those, the frames held in memory; the others wait in the spill file. */
  private heldFrames = 0;
  private readonly spill: SpillFile;
  private readonly spillAfterFrames: number;

  /** `warn`: a line for the log (a spill file that cannot be written: the audio waits in memory instead). */
  constructor(private readonly spec: OutputSpec, limits: JobLimits = {}, warn?: (line: string) => void) {
    this.spill = new SpillFile(spec.path, warn && ((path, err) => warn(spillFailed(path, err))));
    this.spillAfterFrames = (limits.spillAfterSec ?? SPILL_AFTER_SEC) * 8000;
    this.renderer = new Renderer(spec.legs, spec.sampleRate, spec.channelMode);
    this.chain = Promise.resolve();
    this.enqueue(async () => {
      this.writer = await openWriter(spec, limits);
    });
  }

  /** How many legs push() takes. */
  get legs(): number {
    return this.spec.legs;
  }

  /** Seconds of audio waiting for the encoder (overload.ts: lame starved of CPU). */
  get backlogSec(): number {
    return this.queuedFrames / 8000;
  }

  /** Seconds of audio held in memory for the encoder (at most SPILL_AFTER_SEC plus a batch). */
  get heldSec(): number {
    return this.heldFrames / 8000;
  }

  /**
   * spec.legs equal-length runs of 8 kHz samples, one per leg; the job owns them from now on.
   * Past the memory allowance they go to the spill file; the chain takes each back in turn.
   */
  push(legs: readonly Int16Array[]): void {
    if (this.finishing || this.failed) return; // a failed job writes nothing more, not even to disk
    const n = legs[0].length;
    this.queuedFrames += n;
    let spilled: SpilledBatch | null = null;
    if (this.heldFrames + n > this.spillAfterFrames) {
      try {
        spilled = this.spill.put(legs);
        for (const l of legs) givePcm(l); // copied (sealed) to disk
      } catch {
        // Sealing failed (it does not for the disk's sake: a failed write keeps the batch in
        // memory): memory rather than audio is what is given up.
      }
    }
    const held = spilled === null ? n : 0;
    this.heldFrames += held;
    let kept: readonly Int16Array[] | null = spilled === null ? legs : null;
    this.enqueue(async () => {
      try {
        const t0 = performance.now();
        const input = kept ?? (await this.spill.take(spilled as SpilledBatch));
        kept = null;
        const out = this.renderer.render(input);
        for (const l of input) givePcm(l); // rendered: the renderer keeps only its history
        this.frames += out.length / (this.spec.channelMode === 'stereo' ? 2 : 1);
        const wrote = this.writer?.write(out);
        this.workSec += (performance.now() - t0) / 1000;
        await wrote;
        givePcm(out); // every writer is done with it once write() settles (lame: its socket write's callback)
      } finally {
        this.queuedFrames -= n;
        this.heldFrames -= held;
      }
    }, () => {
      this.queuedFrames -= n;
      this.heldFrames -= held;
    });
  }

  /** Closes the file (or deletes it when aborting); rejects with the first failure. Idempotent. */
  finish(abort: boolean): Promise<EncodedFile | null> {
    this.finishing ??= this.chain.then(async () => {
      let bytes = 0;
      try {
        if (this.writer) bytes = await this.writer.close();
      } catch (err) {
        this.failed ??= err instanceof Error ? err : new Error(String(err));
      }
      await this.spill.discard(); // what a failure left there is never read
      if (abort) {
        rmSync(this.spec.path, { force: true });
        return null;
      }
      if (this.failed) throw this.failed;
      return { bytes, frames: this.frames, workSec: this.workSec };
    });
    return this.finishing;
  }

  /** `skipped`: what to undo when an earlier failure means the step never runs. */
  private enqueue(step: () => Promise<void> | void, skipped?: () => void): void {
    this.chain = this.chain.then(async () => {
      if (this.failed) {
        skipped?.();
        return;
      }
      try {
        await step();
      } catch (err) {
        this.failed = err instanceof Error ? err : new Error(String(err));
      }
    });
  }
}

/** The legs packLegs() packed, as views of `pcm` (no copy). */
export function unpackLegs(pcm: Int16Array, legs: number): Int16Array[] {
  const n = pcm.length / legs;
  return Array.from({ length: legs }, (_, i) => pcm.subarray(i * n, (i + 1) * n));
}

/** Packs equal-length legs back to back (one transferable array for the worker protocol). */
export function packLegs(legs: readonly Int16Array[]): Int16Array {
  const n = legs[0].length;
  const packed = new Int16Array(n * legs.length);
  legs.forEach((l, i) => packed.set(l, i * n));
  return packed;
}

/** What a process-wide encoder factory adds to every spec it opens. */
export interface EncoderEnv {
  /** Every file is encrypted as written with this key (encryption at rest). */
  readonly encryption?: SpoolKey;
  /** The lame spawner's socket (src/recorder/spawner). */
  readonly spawner?: string;
  /** OutputJob's limits (tests lower them). */
  readonly limits?: JobLimits;
}

/** The spec with the factory's encryption key and spawner, unless it names its own. */
export function withEnv(spec: OutputSpec, env: EncoderEnv): OutputSpec {
  return {
    ...spec,
    ...(env.encryption && !spec.encryption ? { encryption: env.encryption } : {}),
    ...(env.spawner !== undefined && spec.spawner === undefined ? { spawner: env.spawner } : {}),
  };
}

/** Encoders running in the calling thread (used inside recorder worker threads). */
export class InThreadEncoders implements EncoderFactory {
  private readonly jobs = new Set<OutputJob>();

  /** `warn`: where the jobs' log lines go (OutputJob). */
  constructor(private readonly env: EncoderEnv = {}, private readonly warn?: (line: string) => void) {}

  /** The most audio (s) any open recording holds in memory for its encoder (tests). */
  maxHeldSec(): number {
    let most = 0;
    for (const j of this.jobs) most = Math.max(most, j.heldSec);
    return most;
  }

  /** The most audio (s) any open recording has waiting for its encoder. */
  maxBacklogSec(): number {
    let most = 0;
    for (const j of this.jobs) most = Math.max(most, j.backlogSec);
    return most;
  }

  open(spec: OutputSpec): EncoderSink {
    const job = new OutputJob(withEnv(spec, this.env), this.env.limits, this.warn);
    this.jobs.add(job);
    let done: Promise<EncodedFile | null> | null = null;
    const end = (abort: boolean): Promise<EncodedFile | null> => (done ??= job.finish(abort).finally(() => this.jobs.delete(job)));
    return {
      write: (legs) => {
        // Handed over as they are: packing is for postMessage, and here there is none.
        if (done === null && legs[0].length > 0) job.push(legs);
      },
      close: () => end(false),
      abort: () => end(true),
    };
  }
}
