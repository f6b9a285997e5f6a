import type { OutputSpec } from './writer';

/** Messages between the main thread (EncoderPool) and an encoder worker. */
export type ToWorker =
  | { readonly type: 'open'; readonly id: number; readonly spec: OutputSpec }
  /** `pcm` holds `legs` equal runs of 8 kHz samples back to back; its buffer is transferred. */
  | { readonly type: 'pcm'; readonly id: number; readonly pcm: Int16Array }
  | { readonly type: 'close'; readonly id: number }
  /** Closes and deletes the output (an aborted job). */
  | { readonly type: 'abort'; readonly id: number };

export type FromWorker =
  | { readonly type: 'closed'; readonly id: number; readonly bytes: number; readonly frames: number; readonly workSec: number }
  | { readonly type: 'aborted'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string }
  /** A line for the main thread's log; the job goes on. */
  | { readonly type: 'warn'; readonly line: string };
