import type { EventEmitter } from 'node:events';
import type { LegEndpoint, SessionEvents, SessionOptions } from './session';
import type { LegStats, RecordingResult, RecordingSettings, RecordingState, StopReason } from './recording';

/**
 * What the recording part sees of a recorder session, wherever it runs: a RecordingSession on
 * the calling thread, or a RemoteRecordingSession whose RecordingSession lives in a recorder
 * worker thread (src/recorder/remote). Both are made by a RecorderHost.
 */

/** The codec rtpengine sends on a leg (from the fork's negotiated plan). */
export interface LegCodec {
  readonly payloadType: number;
  readonly encoding: string;
  readonly telephoneEventPt?: number;
}

/** Settings of session.record(): the path is chosen by the session when absent. */
export type RecordSettings = Omit<RecordingSettings, 'path'> & { path?: string };

/** One recording of a call (Recording, or its remote handle). */
export interface RecordingHandle {
  readonly settings: RecordingSettings;
  readonly state: RecordingState;
  readonly paused: boolean;
  /** Settles once with the result; rejects with EncoderError when the encoder or its thread failed. */
  readonly finished: Promise<RecordingResult>;
  begin(): void;
  /** `agoMs`: end that long before now (at most the jitter delay back; see Recording.stop). */
  stop(reason?: StopReason, agoMs?: number): Promise<RecordingResult>;
  /**
   * `agoMs`: the edge that long before now (a key's arrival, the feature code applied later), at
   * most back to what was already written, which the jitter delay leaves room for.
   */
  pause(agoMs?: number): void;
  resume(agoMs?: number): void;
}

/** One call's recorder session: sockets, per-leg processing, the recordings fed from them. */
export interface RecorderSession extends EventEmitter<SessionEvents> {
  readonly legNames: readonly string[];
  start(): Promise<LegEndpoint[]>;
  setLegCodec(leg: string, c: LegCodec): void;
  record(settings: RecordSettings): RecordingHandle;
  /** Per-leg counters now (the media check and the RTP metrics read them). */
  stats(): Promise<Record<string, LegStats>>;
  close(reason?: StopReason): Promise<RecordingResult[]>;
}

/** Session options as the host's user gives them (the host supplies the encoders). */
export type HostSessionOptions = Omit<SessionOptions, 'pool' | 'now'>;

/** Where sessions run: in this thread (InThreadHost) or in recorder worker threads (RecorderThreads). */
export interface RecorderHost {
  /** Resolves once sessions start without waiting (threads loaded, lame spawner listening). */
  ready(): Promise<void>;
  session(opts: HostSessionOptions): RecorderSession;
  /**
   * True while a recorder thread runs later than recorder.overloadLagMs (see overload.ts): the
   * service then refuses new calls, so the recordings in progress keep every packet.
   */
  readonly overloaded: boolean;
  close(): Promise<void>;
}
