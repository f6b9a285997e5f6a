import type { Logger } from 'pino';
import { rmSync } from 'node:fs';
import type { EncoderFactory, EncoderSink } from './encoder/output-job';
import type { Mp3Backend, RecordingFormat } from './encoder/writer';
import { channelCount, type ChannelMode } from './mixer';
import { RecordingStateError, RecorderConfigError } from './errors';
import { isMp3SampleRate } from './mp3-params';
import { takePcm } from './encoder/pcm-pool';
import { PauseLog, type PauseMode, type PausedInterval } from './pauses';
import type { EncoderPriority } from './spawner/priority';

/** Resolved settings of one recording (policy / callflow action already applied). */
export interface RecordingSettings {
  readonly path: string;
  readonly format: RecordingFormat;
  /** record_sample_rate: 8000, 16000, 22050, 32000, 44100, 48000... */
  readonly sampleRate: number;
  readonly channels: ChannelMode;
  /** time_limit in seconds (Kazoo default 3600, max 10800). */
  readonly timeLimitSec: number;
  /** record_min_sec: shorter recordings are deleted and reported discarded. */
  readonly minSec: number;
  /** Legs recorded, in channel order (left first); default every leg of the session. */
  readonly legs?: readonly string[];
  readonly mp3Backend?: Mp3Backend;
  readonly mp3BitrateKbps?: number;
  readonly lamePath?: string;
  /** lame -q for the lame-cli backend (default 7). */
  readonly mp3Quality?: number;
  /** How the lame process yields the CPU (lame-cli backend): a niceness or SCHED_IDLE. */
  readonly encoderNice?: EncoderPriority;
  /** What a paused stretch becomes in the file (default silence). */
  readonly pauseMode?: PauseMode;
}

export enum RecordingState {
  /** Created; the sockets may already receive, but nothing is written before begin(). */
  Pending = 'pending',
  Recording = 'recording',
  /** stop() asked; waiting for the media up to the stop point to leave the jitter buffers. */
  Stopping = 'stopping',
  Finalizing = 'finalizing',
  Finished = 'finished',
}

export type StopReason = 'stop' | 'hangup' | 'time_limit' | 'media_failed' | 'closed' | string;

export interface LegStats {
  /** Packets accepted for playout (duplicates and late ones excluded). */
  received: number;
  /** Sequence numbers never played (RFC 3550 A.3 style: expected - received; late ones included). */
  lost: number;
  /** Packets that arrived after their time had been released (also counted in lost). */
  late: number;
  duplicates: number;
  malformed: number;
  /** Packets of a payload type the recorder does not decode (telephone-event, CN...). */
  ignored: number;
  /** Of those, audio in a codec the recorder cannot decode (not telephone-event, not CN): lost audio. */
  undecodable: number;
  segments: number;
  /**
   * Silence put in because the sender's stream fell behind the call's clock (a slow clock, a
   * delay that stayed: the anchor moved later), ms. Time nobody sent, not lost packets.
   */
  paddedMs: number;
  /** Audio dropped because it overlapped time already written (a fast clock's surplus), ms. */
  trimmedMs: number;
}

export interface RecordingResult {
  readonly path: string;
  readonly format: RecordingFormat;
  readonly durationSec: number;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly bytes: number;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly packetsLate: number;
  /** True when shorter than minSec (the file was deleted) or never begun. */
  readonly discarded: boolean;
  readonly reason: StopReason;
  /** Call-clock offset (seconds since the session started) of the first sample; null if never begun. */
  readonly beganAtSec: number | null;
  /** Wall clock (Unix epoch ms) when begin() was called, and when finalize ran; null if never begun. */
  readonly startedAt: number | null;
  readonly endedAt: number;
  /** Encoder worker time spent on this recording (for the encoder metric). */
  readonly encoderSec: number;
  readonly legs: Readonly<Record<string, LegStats>>;
  /** The paused stretches, in order (empty when never paused). */
  readonly paused: readonly PausedInterval[];
}

const ALLOWED: Record<RecordingState, readonly RecordingState[]> = {
  [RecordingState.Pending]: [RecordingState.Recording, RecordingState.Finalizing],
  [RecordingState.Recording]: [RecordingState.Stopping, RecordingState.Finalizing],
  [RecordingState.Stopping]: [RecordingState.Finalizing],
  [RecordingState.Finalizing]: [RecordingState.Finished],
  [RecordingState.Finished]: [],
};

const IN_RATE = 8000;
/**
 * Samples per leg gathered before a message to the encoder worker (500 ms at 8 kHz): one
 * message, one resampler run and one pipe write to lame per half second of audio instead of ten,
 * for a few kilobytes per recording held meanwhile.
 */
const BATCH = 4000;

/**
 * Checks settings against what the recorder can produce; returns the recorded legs' indexes in
 * the session. Throws RecorderConfigError.
 */
export function validateSettings(settings: Pick<RecordingSettings, 'format' | 'sampleRate' | 'legs'>, sessionLegs: readonly string[]): number[] {
  if (settings.format === 'mp3' && !isMp3SampleRate(settings.sampleRate)) {
    throw new RecorderConfigError(`record_sample_rate ${settings.sampleRate} is not an MP3 rate`);
  }
  if (settings.sampleRate < IN_RATE) throw new RecorderConfigError(`record_sample_rate ${settings.sampleRate} below 8000`);
  return (settings.legs ?? sessionLegs).map((l) => {
    const i = sessionLegs.indexOf(l);
    if (i < 0) throw new RecorderConfigError(`unknown leg ${l}`);
    return i;
  });
}

/** Everything a Recording needs from its session. */
export interface RecordingHost {
  readonly pool: EncoderFactory;
  /** Current position on the call's clock (8 kHz samples). */
  nowPos(): number;
  legStats(): Record<string, LegStats>;
  /** Called once finalize is done, so the session can forget the recording. */
  onFinished(r: Recording, result: RecordingResult): void;
}

/**
 * One recording of a call: its own settings, window on the call's clock [beginPos, endPos) and
 * encoder job. The session feeds it aligned 8 kHz chunks; stop, time limit, hang-up and close
 * all end in finalize(), which runs once.
 */
export class Recording {
  private stateValue = RecordingState.Pending;
  private beginPos = 0;
  private startedAt: number | null = null;
  private endPos = Number.POSITIVE_INFINITY;
  private written = 0;
  private job: EncoderSink | null = null;
  /** The next BATCH samples of each recorded leg, filled by copying; handed to the job when full. */
  private batch: Int16Array[] = [];
  private batched = 0;
  private reason: StopReason = 'closed';
  private readonly pauses = new PauseLog();
  /** End of what was fed so far (call clock), for the last pause's end. */
  private fedTo = 0;
  private resolveFinished!: (r: RecordingResult) => void;
  private rejectFinished!: (e: Error) => void;
  /** Settles once with the result (also returned by stop()). */
  readonly finished: Promise<RecordingResult>;
  readonly legIndexes: readonly number[];
  readonly legNames: readonly string[];

  constructor(
    private readonly host: RecordingHost,
    readonly settings: RecordingSettings,
    sessionLegs: readonly string[],
    private readonly log: Logger,
  ) {
    this.legIndexes = validateSettings(settings, sessionLegs);
    this.legNames = settings.legs ?? sessionLegs;
    this.finished = new Promise((res, rej) => {
      this.resolveFinished = res;
      this.rejectFinished = rej;
    });
    // A rejected finish is also reported through stop()/close(); avoid an unhandled rejection here.
    this.finished.catch(() => undefined);
  }

  get state(): RecordingState {
    return this.stateValue;
  }

  /** Starts writing from the current call time (record_on_answer / on_bridge call this late). */
  begin(): void {
    if (this.stateValue !== RecordingState.Pending) throw new RecordingStateError(`begin() in state ${this.stateValue}`);
    this.beginPos = this.host.nowPos();
    this.startedAt = Date.now();
    this.endPos = this.beginPos + Math.round(this.settings.timeLimitSec * IN_RATE);
    this.job = this.host.pool.open({
      path: this.settings.path,
      format: this.settings.format,
      sampleRate: this.settings.sampleRate,
      channelMode: this.settings.channels,
      legs: this.legIndexes.length,
      mp3Backend: this.settings.mp3Backend ?? 'lame-cli',
      mp3BitrateKbps: this.settings.mp3BitrateKbps,
      lamePath: this.settings.lamePath,
      mp3Quality: this.settings.mp3Quality ?? 7,
      ...(this.settings.encoderNice !== undefined ? { encoderNice: this.settings.encoderNice } : {}),
    });
    this.transition(RecordingState.Recording);
  }

  /**
   * Ends the recording at the current call time, or `agoMs` before it (a transfer re-pointed
   * the media before the call reported it; at most the jitter delay back: what was released
   * is written). The media up to that point is still in the jitter buffers, so the session
   * finalizes once it has been released (or at close()).
   */
  stop(reason: StopReason = 'stop', agoMs = 0): Promise<RecordingResult> {
    if (this.stateValue === RecordingState.Pending) {
      this.reason = reason;
      void this.finalize();
    } else if (this.stateValue === RecordingState.Recording) {
      this.reason = reason;
      this.endPos = Math.min(this.endPos, Math.max(this.beginPos, this.host.nowPos() - Math.round((Math.max(0, agoMs) * IN_RATE) / 1000)));
      this.transition(RecordingState.Stopping);
    }
    return this.finished;
  }

  get paused(): boolean {
    return this.pauses.paused;
  }

  /**
   * Pauses at the current call time, or `agoMs` before it (the key that asked, see
   * RecordingHandle): what follows is written as silence, or left out with pauseMode 'omit',
   * until resume(). Throws RecordingPauseError when already paused, and RecordingStateError
   * before begin() or once stopping.
   */
  pause(agoMs = 0): void {
    if (this.stateValue !== RecordingState.Recording) throw new RecordingStateError(`pause() in state ${this.stateValue}`);
    const edge = this.edgeAt(agoMs);
    this.pauses.pause(edge, this.wallAt(edge));
  }

  /** Resumes at the current call time, or `agoMs` before it; throws RecordingPauseError when not paused. */
  resume(agoMs = 0): void {
    if (this.stateValue !== RecordingState.Recording) throw new RecordingStateError(`resume() in state ${this.stateValue}`);
    const edge = this.edgeAt(agoMs);
    this.pauses.resume(edge, this.wallAt(edge));
  }

  /** Wall clock (epoch ms) of call-clock `pos`: an edge held back at what was written is that much later. */
  private wallAt(pos: number): number {
    return Date.now() - (Math.max(0, this.host.nowPos() - pos) * 1000) / IN_RATE;
  }

  /** `agoMs` before the call's now, never inside what was already written (nor before begin). */
  private edgeAt(agoMs: number): number {
    const back = Math.round((Math.max(0, agoMs) * IN_RATE) / 1000);
    return Math.max(this.host.nowPos() - back, this.fedTo, this.beginPos);
  }

  /**
   * @internal The session's aligned chunk for call-clock [pos, pos + n): legs[*][0..n), the
   * session's buffers, reused after this returns (what is kept is copied).
   */
  feed(pos: number, legs: readonly Int16Array[], n: number): void {
    const st = this.stateValue;
    if (st !== RecordingState.Recording && st !== RecordingState.Stopping) return;
    const from = Math.max(pos, this.beginPos);
    const to = Math.min(pos + n, this.endPos);
    if (to > from) {
      this.fedTo = to;
      if (!this.pauses.any) this.take(legs, from - pos, to - from);
      else {
        for (const run of this.pauses.runs(from, to)) {
          if (!run.paused) this.take(legs, run.from - pos, run.to - run.from);
          else if (this.settings.pauseMode !== 'omit') this.take(null, 0, run.to - run.from);
        }
      }
    }
    if (pos + n >= this.endPos) {
      if (st === RecordingState.Recording) this.reason = 'time_limit';
      void this.finalize();
    }
  }

  /** The single finalize step: flush, close or discard the file, report. Idempotent. */
  finalize(): Promise<RecordingResult> {
    if (this.stateValue === RecordingState.Finalizing || this.stateValue === RecordingState.Finished) return this.finished;
    this.transition(RecordingState.Finalizing);
    this.flushBatch();
    const durationSec = this.written / IN_RATE;
    const discard = this.job === null || durationSec < this.settings.minSec;
    const job = this.job;
    const done = job === null ? Promise.resolve(null) : discard ? job.abort() : job.close();
    done.then(
      (file) => {
        if (discard) rmSync(this.settings.path, { force: true });
        const legs = this.host.legStats();
        const mine = this.legNames.map((name) => legs[name]);
        const result: RecordingResult = {
          path: this.settings.path,
          format: this.settings.format,
          durationSec,
          sampleRate: this.settings.sampleRate,
          channels: channelCount(this.settings.channels),
          bytes: file?.bytes ?? 0,
          packetsReceived: mine.reduce((s, l) => s + l.received, 0),
          packetsLost: mine.reduce((s, l) => s + l.lost, 0),
          packetsLate: mine.reduce((s, l) => s + l.late, 0),
          discarded: discard,
          reason: this.reason,
          beganAtSec: job === null ? null : this.beginPos / IN_RATE,
          startedAt: this.startedAt,
          endedAt: Date.now(),
          encoderSec: file?.workSec ?? 0,
          legs,
          paused: job === null ? [] : this.pauses.intervals(this.beginPos, this.fedTo, this.settings.pauseMode ?? 'silence', Date.now()),
        };
        this.transition(RecordingState.Finished);
        this.log.info({ path: result.path, durationSec, discarded: discard, reason: this.reason }, 'recording finished');
        this.host.onFinished(this, result);
        this.resolveFinished(result);
      },
      (err: Error) => {
        this.transition(RecordingState.Finished);
        this.log.error({ err, path: this.settings.path }, 'recording failed');
        rmSync(this.settings.path, { force: true });
        this.rejectFinished(err);
      },
    );
    return this.finished;
  }

  /** Appends legs[legIndexes[*]][from..from + len) (null: silence) to the batch, sending full ones. */
  private take(legs: readonly Int16Array[] | null, from: number, len: number): void {
    this.written += len;
    let done = 0;
    while (done < len) {
      if (this.batch.length === 0) for (let li = 0; li < this.legIndexes.length; li++) this.batch.push(takePcm(BATCH));
      const m = Math.min(len - done, BATCH - this.batched);
      for (let li = 0; li < this.legIndexes.length; li++) {
        const dst = this.batch[li];
        if (legs === null) {
          dst.fill(0, this.batched, this.batched + m); // paused time: silence (pooled arrays hold old audio)
          continue;
        }
        const s = from + done;
        dst.set(legs[this.legIndexes[li]].subarray(s, s + m), this.batched); // memcpy: a view per leg and run, not per sample
      }
      this.batched += m;
      done += m;
      if (this.batched === BATCH) this.flushBatch();
    }
  }

  /** Hands the batch to the job (it owns the arrays from then on); the next take() starts new ones. */
  private flushBatch(): void {
    if (this.batched === 0 || this.job === null) return;
    const n = this.batched;
    this.job.write(n === BATCH ? this.batch : this.batch.map((b) => b.subarray(0, n)));
    this.batch = [];
    this.batched = 0;
  }

  /** The one place the state changes; checks the move. */
  private transition(to: RecordingState): void {
    if (!ALLOWED[this.stateValue].includes(to)) throw new RecordingStateError(`${this.stateValue} -> ${to}`);
    this.log.debug({ from: this.stateValue, to }, 'recording state');
    this.stateValue = to;
  }
}
