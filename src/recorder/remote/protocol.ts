import type { LegEndpoint } from '../session';
import type { LegStats, RecordingResult, RecordingSettings } from '../recording';
import type { HostSessionOptions, LegCodec } from '../contract';
import { EncoderError, RecorderConfigError, RecordingPauseError, RecordingStateError } from '../errors';
import type { LoadReport } from '../overload';

/** Session options that cross the thread boundary (the worker makes its own logger, encoders and clock). */
export type RemoteSessionOptions = Omit<HostSessionOptions, 'logger'>;

/** A recorder thread's own CPU seconds (null where /proc/thread-self is unreadable) and memory. */
export interface ThreadUsage {
  readonly cpuSeconds: number | null;
  /**
   * The thread's V8 heap in use plus the memory of its Buffers and other external objects
   * (process.memoryUsage() in a worker counts the calling thread's isolate only), after a full
   * collection when the process runs with --expose-gc (bench:recordings does), so that it is
   * the live memory of the thread's sessions rather than garbage waiting for the collector.
   */
  readonly heapBytes: number;
  /** The thread's event-loop lag since the last resetLag (10 ms resolution), in ms. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
}

/** An error as it crosses postMessage: its class is rebuilt from `code`. */
export interface WireError {
  readonly code: string;
  readonly message: string;
}

export type ToSessionWorker =
  | { readonly t: 'start'; readonly sid: number; readonly opts: RemoteSessionOptions; readonly logLevel: string }
  | { readonly t: 'codec'; readonly sid: number; readonly leg: string; readonly codec: LegCodec }
  | { readonly t: 'record'; readonly sid: number; readonly rid: number; readonly settings: RecordingSettings }
  /**
   * `at`: when the main thread asked (performance.timeOrigin + performance.now()): the worker
   * places the moment on the call's clock there, not at the message's arrival.
   */
  | { readonly t: 'begin' | 'pause' | 'resume'; readonly rid: number; readonly at: number }
  | { readonly t: 'stop'; readonly rid: number; readonly reason: string; readonly at: number }
  | { readonly t: 'close'; readonly sid: number; readonly reason: string; readonly at: number }
  | { readonly t: 'stats'; readonly sid: number; readonly req: number }
  /**
   * The thread's own CPU time, event-loop lag and memory (bench:recordings). `gc`: collect
   * first (--expose-gc), so heapBytes is live memory; `resetLag`: start a new lag window.
   */
  | { readonly t: 'usage'; readonly req: number; readonly gc: boolean; readonly resetLag: boolean };

export type FromSessionWorker =
  /** The thread has loaded its modules and takes sessions. */
  | { readonly t: 'ready' }
  | { readonly t: 'started'; readonly sid: number; readonly endpoints: LegEndpoint[] }
  | { readonly t: 'start-failed'; readonly sid: number; readonly error: WireError }
  | { readonly t: 'finished'; readonly rid: number; readonly result: RecordingResult }
  | { readonly t: 'failed'; readonly rid: number; readonly error: WireError }
  /** `stats`: the legs' final counters (a closed session still answers stats()). */
  | { readonly t: 'closed'; readonly sid: number; readonly results: RecordingResult[]; readonly stats: Record<string, LegStats> }
  | { readonly t: 'stats'; readonly req: number; readonly stats: Record<string, LegStats> | null }
  | { readonly t: 'usage'; readonly req: number; readonly usage: ThreadUsage }
  /** Every LOAD_REPORT_MS: the most this thread ran late since its last report, its largest encoder backlog (overload.ts). */
  | { readonly t: 'load'; readonly report: LoadReport }
  | { readonly t: 'dtmf'; readonly sid: number; readonly leg: string; readonly digit: string; /** sharedNow() when its end packet reached the host */ readonly at: number }
  /** A log line of a session (pino JSON), written by the main thread's logger. */
  | { readonly t: 'log'; readonly sid: number; readonly line: string };

export function toWire(err: unknown): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'RECORDER_INTERNAL', message: e.message };
}

export function fromWire(w: WireError): Error {
  switch (w.code) {
    case 'RECORDING_BAD_STATE':
      return new RecordingStateError(w.message);
    case 'RECORDER_BAD_SETTINGS':
      return new RecorderConfigError(w.message);
    case 'RECORDER_ENCODER_FAILED':
      return new EncoderError(w.message);
    case 'RECORDING_ALREADY_PAUSED':
    case 'RECORDING_NOT_PAUSED':
      return new RecordingPauseError(w.code);
    default:
      return Object.assign(new Error(w.message), { code: w.code });
  }
}

/** Now on a clock both threads share (their performance.now() origins differ). */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}
