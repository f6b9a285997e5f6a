import type { LegEndpoint, SessionOptions } from '../session';
import type { LegStats, RecordingResult, RecordingSettings } from '../recording';
import { EncoderError, RecorderConfigError, RecordingStateError } from '../errors';

/** Session options that cross the thread boundary (the worker supplies pool, logger and clock). */
export type RemoteSessionOptions = Omit<SessionOptions, 'pool' | 'logger' | 'now'>;

export interface LegCodec {
  readonly payloadType: number;
  readonly encoding: string;
  readonly telephoneEventPt?: number;
}

/** An error as it crosses postMessage: its class is rebuilt from `code`. */
export interface WireError {
  readonly code: string;
  readonly message: string;
}

export type ToSessionWorker =
  | { readonly t: 'start'; readonly sid: number; readonly opts: RemoteSessionOptions }
  | { readonly t: 'codec'; readonly sid: number; readonly leg: string; readonly codec: LegCodec }
  | { readonly t: 'record'; readonly sid: number; readonly rid: number; readonly settings: RecordingSettings }
  | { readonly t: 'begin'; readonly rid: number }
  | { readonly t: 'stop'; readonly rid: number; readonly reason: string }
  | { readonly t: 'close'; readonly sid: number; readonly reason: string }
  | { readonly t: 'stats'; readonly sid: number; readonly req: number };

export type FromSessionWorker =
  | { readonly t: 'started'; readonly sid: number; readonly endpoints: LegEndpoint[] }
  | { readonly t: 'start-failed'; readonly sid: number; readonly error: WireError }
  | { readonly t: 'finished'; readonly rid: number; readonly result: RecordingResult }
  | { readonly t: 'failed'; readonly rid: number; readonly error: WireError }
  | { readonly t: 'closed'; readonly sid: number; readonly results: RecordingResult[] }
  | { readonly t: 'stats'; readonly req: number; readonly stats: Record<string, LegStats> | null }
  | { readonly t: 'dtmf'; readonly sid: number; readonly leg: string; readonly digit: string };

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
    default:
      return Object.assign(new Error(w.message), { code: w.code });
  }
}
