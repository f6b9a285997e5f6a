import type { Logger } from 'pino';
import type { CallEnd } from '../calls';
import { HangupCause } from '../calls';
import type { AccountInfo, DeviceInfo } from '../directory/types';
import type { RecordingDefaults } from '../policy';
import type { RecorderHost, LegStats, RecordingResult, RecordingState, StopReason } from '../recorder';
import type { RecorderConfig } from '../config/sections/recorder';
import type { CallFacts } from './meta';
import type { RecordingItem, RefusedRecording } from './plan';
import type { MediaVerdict } from './media-check';

/**
 * What a CallRecorder is and needs: its states and their allowed moves, its dependencies, what
 * it shows of its recordings, and how a call's end maps to a stop reason.
 */

export enum CallRecorderState {
  /** Attached; the call is not routed yet. */
  Waiting = 'waiting',
  /** Routed, nothing to record. */
  Idle = 'idle',
  /** Session opening / recordings created. */
  Starting = 'starting',
  Recording = 'recording',
  Closing = 'closing',
  Closed = 'closed',
}

export const CALL_RECORDER_MOVES: Record<CallRecorderState, readonly CallRecorderState[]> = {
  [CallRecorderState.Waiting]: [CallRecorderState.Idle, CallRecorderState.Starting, CallRecorderState.Closing],
  // Idle -> Starting: the answering device of a `user` callee has settings of its own.
  [CallRecorderState.Idle]: [CallRecorderState.Starting, CallRecorderState.Closing],
  [CallRecorderState.Starting]: [CallRecorderState.Recording, CallRecorderState.Closing],
  [CallRecorderState.Recording]: [CallRecorderState.Closing],
  [CallRecorderState.Closing]: [CallRecorderState.Closed],
  [CallRecorderState.Closed]: [],
};

export class CallRecorderStateError extends Error {
  readonly code = 'RECORDING_BAD_STATE';
  constructor(from: CallRecorderState, to: CallRecorderState) {
    super(`call recorder cannot move from ${from} to ${to}`);
    this.name = 'CallRecorderStateError';
  }
}

export interface CallRecorderDeps {
  host: RecorderHost;
  recorder: Readonly<RecorderConfig>;
  accountById(id: string): Promise<AccountInfo | undefined>;
  /** The answering device of a `user` callee (Device > User for the callee's inbound settings). */
  deviceById?(id: string): Promise<DeviceInfo | undefined>;
  /** Hands a finished (or discarded, or failed) recording over; never rejects. */
  deliver(facts: CallFacts, item: RecordingItem, outcome: { result: RecordingResult; media?: MediaVerdict } | { error: Error }): Promise<void>;
  /** A recording began (metrics). */
  onStarted?(item: RecordingItem): void;
  /** The session is done: per-leg RTP counters (metrics). */
  onSessionClosed?(stats: Record<string, LegStats>): void;
  /** Recordings refused at planning (no URL), once per call (warn line and metric). */
  onRefused?(facts: CallFacts, refused: readonly RefusedRecording[], log: Logger): void;
  defaults?: Partial<RecordingDefaults>;
}

/** A recording of the call as the channels API shows it. */
export interface RecordingView {
  source: RecordingItem['source'];
  origin: string;
  label?: string;
  format: string;
  state: RecordingState;
  /** Paused by record_call pause (PCI). */
  paused: boolean;
}

/** Why the recordings end, from how the call ended. */
export function stopReasonOf(end: CallEnd | undefined): StopReason {
  if (end?.cause === HangupCause.MediaTimeout) return 'media_failed';
  return 'hangup';
}
