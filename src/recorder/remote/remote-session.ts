import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { defaultRecordingPath, type LegEndpoint, type SessionEvents } from '../session';
import { RecordingState, validateSettings, type LegStats, type RecordingResult, type RecordingSettings, type StopReason } from '../recording';
import { EncoderError, RecorderConfigError, RecordingPauseError, RecordingStateError } from '../errors';
import type { HostSessionOptions, LegCodec, RecordSettings, RecorderHost, RecorderSession, RecordingHandle } from '../contract';
import { fromWire, sharedNow, type FromSessionWorker, type ThreadUsage, type ToSessionWorker } from './protocol';
import type { SessionWorkerData } from './session-worker';
import type { SpoolKey } from '../../atrest/keyring';
import type { LameSpawner } from '../spawner/helper';
import { LOAD_REPORT_MS, noteLoad, OverloadGuard, type OverloadSettings } from '../overload';

type Answer = Extract<FromSessionWorker, { t: 'stats' | 'usage' }>;

/** @internal One recorder worker thread and how many sessions it hosts. */
export interface Thread {
  readonly worker: Worker;
  sessions: number;
  dead: boolean;
  /** Resolves when the thread has loaded (or died). */
  readonly loaded: Promise<void>;
  up: boolean;
  /** performance.now() of its last lateness report (or of its start). */
  lastReportAt: number;
}

/**
 * Worker threads hosting whole recording sessions (sockets, jitter buffers, encoders), so the
 * signalling thread carries no media. Sessions are spread over the threads, least loaded first.
 * A thread that dies fails its sessions' recordings (EncoderError) and is replaced.
 */
export class RecorderThreads implements RecorderHost {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  /** @internal */ readonly sessions = new Map<number, RemoteRecordingSession>();
  /** @internal */ readonly recordings = new Map<number, RemoteRecording>();
  private readonly waiters = new Map<number, { readonly thread: Thread; resolve(m: Answer | null): void }>();
  private closed = false;
  private readonly log: Logger;
  /** Threads replaced after dying (for tests and the log). */
  restarts = 0;
  private readonly guard: OverloadGuard;

  constructor(size: number, private readonly o: { readonly encryption?: SpoolKey; readonly logger?: Logger; readonly spawner?: LameSpawner; readonly overload?: OverloadSettings } = {}) {
    this.log = (o.logger ?? pino({ level: 'silent' })).child({ part: 'recorder' });
    this.guard = new OverloadGuard(o.overload ?? { lagMs: 0, backlogMs: 0, clearSec: 0 });
    for (let i = 0; i < Math.max(1, size); i++) this.threads.push(this.spawn());
  }

  get size(): number {
    return this.threads.length;
  }

  /** The helper that starts lame for every thread (mp3Encoder lame-cli). */
  get spawner(): LameSpawner | undefined {
    return this.o.spawner;
  }

  /** The worker threads (tests kill one). */
  get workers(): readonly Worker[] {
    return this.threads.map((t) => t.worker);
  }

  /** Every thread loaded, and the lame spawner listening. */
  async ready(): Promise<void> {
    await Promise.all([...this.threads.map((t) => t.loaded), this.o.spawner?.ready]);
  }

  session(opts: HostSessionOptions): RemoteRecordingSession {
    if (this.closed) throw new RecordingStateError('recorder threads closed');
    // A thread still loading (just restarted) takes sessions only when no other is up.
    const live = this.threads.filter((t) => !t.dead && t.up);
    const pool = live.length > 0 ? live : this.threads.filter((t) => !t.dead);
    const thread = pool.reduce((a, b) => (b.sessions < a.sessions ? b : a));
    const { logger, ...wire } = opts;
    const s = new RemoteRecordingSession(this, thread, this.nextId++, wire, logger ?? this.log);
    this.sessions.set(s.sid, s);
    return s;
  }

  /**
   * A thread holding sessions that has not reported for longer than the guard's threshold is
   * late by that much now (it reports on its own event loop, so a stalled thread says nothing
   * until the stall ends): new calls are refused during the stall, not only after it.
   */
  get overloaded(): boolean {
    const now = performance.now();
    for (const t of this.threads) {
      if (t.dead || !t.up || t.sessions === 0) continue;
      const silentMs = now - t.lastReportAt - LOAD_REPORT_MS;
      if (silentMs > 0) noteLoad(this.guard, { lateMs: silentMs, backlogMs: 0 }, now, this.log);
    }
    return this.guard.raised;
  }

  /** Each thread's own CPU seconds, loop lag and memory (null for a thread that is dead). */
  usage(o: { gc: boolean; resetLag: boolean }): Promise<(ThreadUsage | null)[]> {
    return Promise.all(this.threads.map((t) => this.ask(t, (req) => ({ t: 'usage', req, ...o })).then((m) => (m !== null && m.t === 'usage' ? m.usage : null))));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    this.o.spawner?.close();
  }

  /** @internal */
  newId(): number {
    return this.nextId++;
  }

  /** @internal */
  send(thread: Thread, m: ToSessionWorker): void {
    if (!thread.dead) thread.worker.postMessage(m);
  }

  /** @internal A request answered by `req`; null when the thread is dead. */
  ask(thread: Thread, make: (req: number) => ToSessionWorker): Promise<Answer | null> {
    if (thread.dead) return Promise.resolve(null);
    const req = this.nextId++;
    // An outstanding request keeps the thread referenced, or the process could exit under it.
    thread.worker.ref();
    return new Promise<Answer | null>((resolve) => {
      this.waiters.set(req, { thread, resolve });
      this.send(thread, make(req));
    }).finally(() => {
      this.waiters.delete(req);
      if (thread.sessions === 0) thread.worker.unref();
    });
  }

  /** @internal A session holds its thread (and the process) busy while it lives. */
  hold(thread: Thread, delta: 1 | -1): void {
    thread.sessions += delta;
    if (thread.sessions === 1 && delta === 1) thread.worker.ref();
    if (thread.sessions === 0) thread.worker.unref();
  }

  private spawn(): Thread {
    const workerData: SessionWorkerData = {
      ...(this.o.encryption ? { encryption: this.o.encryption } : {}),
      ...(this.o.spawner ? { spawner: this.o.spawner.path } : {}),
    };
    const worker = new Worker(join(__dirname, 'session-worker.js'), { workerData });
    let loaded!: () => void;
    const thread: Thread = { worker, sessions: 0, dead: false, up: false, lastReportAt: performance.now(), loaded: new Promise<void>((r) => { loaded = r; }) };
    worker.on('message', (m: FromSessionWorker) => {
      if (m.t === 'load') {
        thread.lastReportAt = performance.now();
        noteLoad(this.guard, m.report, thread.lastReportAt, this.log);
        return;
      }
      if (m.t !== 'ready') return this.onMessage(m);
      thread.up = true;
      thread.lastReportAt = performance.now();
      if (thread.sessions === 0) worker.unref();
      loaded();
    });
    worker.once('exit', () => loaded());
    worker.on('error', (err) => this.onDeath(thread, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.onDeath(thread, new Error(`recorder thread exited with ${code}`));
    });
    // An idle thread must not keep the process alive on its own (once loaded: awaiting ready() does).
    return thread;
  }

  private onMessage(m: Exclude<FromSessionWorker, { t: 'ready' | 'load' }>): void {
    switch (m.t) {
      case 'started':
      case 'start-failed':
      case 'closed':
      case 'dtmf':
        this.sessions.get(m.sid)?.onMessage(m);
        return;
      case 'log':
        relog(this.sessions.get(m.sid)?.log ?? this.log, m.line);
        return;
      case 'finished':
      case 'failed':
        this.recordings.get(m.rid)?.settle(m);
        return;
      case 'stats':
      case 'usage':
        this.waiters.get(m.req)?.resolve(m);
        return;
    }
  }

  private onDeath(thread: Thread, err: Error): void {
    if (thread.dead) return;
    thread.dead = true;
    this.log.error({ err, sessions: thread.sessions }, 'recorder thread died: its recordings failed; restarting it');
    for (const w of [...this.waiters.values()]) if (w.thread === thread) w.resolve(null);
    for (const s of [...this.sessions.values()]) if (s.thread === thread) s.threadDied(err);
    if (!this.closed) {
      this.threads[this.threads.indexOf(thread)] = this.spawn();
      this.restarts++;
    }
  }
}

/** Writes a pino JSON line of a worker through a main-thread logger, at its level. */
function relog(log: Logger, line: string): void {
  try {
    const { level, msg, ...rest } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>;
    const label = pino.levels.labels[level] as 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | undefined;
    if (label !== undefined) log[label](rest, msg ?? '');
  } catch {
    log.warn({ line }, 'unreadable recorder thread log line');
  }
}

/** Main-thread handle of a RecordingSession living in a recorder thread (same contract). */
export class RemoteRecordingSession extends EventEmitter<SessionEvents> implements RecorderSession {
  private starting: { resolve(e: LegEndpoint[]): void; reject(e: Error): void } | null = null;
  private closing: Promise<RecordingResult[]> | null = null;
  private resolveClosed: ((r: RecordingResult[]) => void) | null = null;
  private seq = 0;
  private started = false;
  readonly legNames: readonly string[];
  private readonly live = new Set<RemoteRecording>();
  /** The counters the worker sent with 'closed'. */
  private finalStats: Record<string, LegStats> | null = null;

  constructor(
    private readonly owner: RecorderThreads,
    /** @internal */ readonly thread: Thread,
    readonly sid: number,
    private readonly opts: Omit<HostSessionOptions, 'logger'>,
    /** @internal */ readonly log: Logger,
  ) {
    super();
    this.legNames = opts.legs ?? ['caller', 'callee'];
  }

  start(): Promise<LegEndpoint[]> {
    if (this.started) return Promise.reject(new RecordingStateError('start() twice'));
    if (this.thread.dead) return Promise.reject(new EncoderError('recorder thread died'));
    this.started = true;
    this.owner.hold(this.thread, 1);
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      this.owner.send(this.thread, { t: 'start', sid: this.sid, opts: this.opts, logLevel: this.log.level });
    });
  }

  setLegCodec(leg: string, c: LegCodec): void {
    if (!this.legNames.includes(leg)) throw new RecorderConfigError(`unknown leg ${leg}`);
    const enc = c.encoding.toUpperCase();
    if (enc !== 'PCMU' && enc !== 'PCMA') throw new RecorderConfigError(`the recorder decodes PCMU and PCMA, not ${c.encoding}`);
    this.owner.send(this.thread, { t: 'codec', sid: this.sid, leg, codec: c });
  }

  record(settings: RecordSettings): RemoteRecording {
    if (this.closing) throw new RecordingStateError('record() after close()');
    validateSettings(settings, this.legNames);
    const path = settings.path ?? defaultRecordingPath(this.opts.spoolDir, this.opts.callId, ++this.seq, settings.format);
    const full: RecordingSettings = { ...settings, path };
    const r = new RemoteRecording(this.owner, this.thread, this.owner.newId(), full, (res) => {
      this.live.delete(r);
      if (res) this.emit('recording-finished', res);
    });
    this.live.add(r);
    this.owner.recordings.set(r.rid, r);
    if (this.thread.dead) r.settle(diedMessage(r.rid, 'recorder thread died'));
    else this.owner.send(this.thread, { t: 'record', sid: this.sid, rid: r.rid, settings: full });
    return r;
  }

  /** The worker's counters now; after close its final ones; empty when its thread died first. */
  async stats(): Promise<Record<string, LegStats>> {
    if (this.finalStats) return this.finalStats;
    const m = await this.owner.ask(this.thread, (req) => ({ t: 'stats', sid: this.sid, req }));
    if (m?.t === 'stats' && m.stats !== null) return m.stats;
    // The worker had closed it: its final counters are on their way with 'closed'.
    await this.closing;
    return this.finalStats ?? {};
  }

  close(reason: StopReason = 'hangup'): Promise<RecordingResult[]> {
    this.closing ??= new Promise<RecordingResult[]>((resolve) => {
      this.resolveClosed = resolve;
      if (this.thread.dead) resolve([]);
      else this.owner.send(this.thread, { t: 'close', sid: this.sid, reason, at: sharedNow() });
    }).finally(() => {
      this.owner.sessions.delete(this.sid);
      if (this.started) this.owner.hold(this.thread, -1);
      this.emit('closed');
    });
    return this.closing;
  }

  /** @internal */
  onMessage(m: Extract<FromSessionWorker, { sid: number }>): void {
    if (m.t === 'started') this.starting?.resolve(m.endpoints);
    else if (m.t === 'start-failed') this.starting?.reject(fromWire(m.error));
    else if (m.t === 'dtmf') this.emit('dtmf', m.leg, m.digit, Math.max(0, sharedNow() - m.at));
    else if (m.t === 'closed') {
      this.finalStats = m.stats;
      this.resolveClosed?.(m.results);
    }
    if (m.t === 'started' || m.t === 'start-failed') this.starting = null;
  }

  /** @internal Its thread died: the recordings fail (their partial files are removed), close() resolves. */
  threadDied(err: Error): void {
    this.starting?.reject(new EncoderError(`recorder thread died: ${err.message}`));
    this.starting = null;
    for (const r of [...this.live]) {
      rmSync(r.settings.path, { force: true });
      r.settle(diedMessage(r.rid, `recorder thread died: ${err.message}`));
    }
    this.resolveClosed?.([]);
  }
}

function diedMessage(rid: number, message: string): Extract<FromSessionWorker, { t: 'failed' }> {
  return { t: 'failed', rid, error: { code: 'RECORDER_ENCODER_FAILED', message } };
}

/** Main-thread handle of a Recording in a recorder thread; states are checked here, as Recording does. */
export class RemoteRecording implements RecordingHandle {
  private stateValue = RecordingState.Pending;
  private pausedValue = false;
  private resolveFinished!: (r: RecordingResult) => void;
  private rejectFinished!: (e: Error) => void;
  readonly finished: Promise<RecordingResult>;

  constructor(
    private readonly owner: RecorderThreads,
    private readonly thread: Thread,
    readonly rid: number,
    readonly settings: RecordingSettings,
    private readonly onDone: (r: RecordingResult | null) => void,
  ) {
    this.finished = new Promise((res, rej) => {
      this.resolveFinished = res;
      this.rejectFinished = rej;
    });
    this.finished.catch(() => undefined);
  }

  get state(): RecordingState {
    return this.stateValue;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  begin(): void {
    if (this.stateValue !== RecordingState.Pending) throw new RecordingStateError(`begin() in state ${this.stateValue}`);
    this.stateValue = RecordingState.Recording;
    this.owner.send(this.thread, { t: 'begin', rid: this.rid, at: sharedNow() });
  }

  pause(agoMs = 0): void {
    if (this.stateValue !== RecordingState.Recording) throw new RecordingStateError(`pause() in state ${this.stateValue}`);
    if (this.pausedValue) throw new RecordingPauseError('RECORDING_ALREADY_PAUSED');
    this.pausedValue = true;
    this.owner.send(this.thread, { t: 'pause', rid: this.rid, at: sharedNow() - Math.max(0, agoMs) });
  }

  resume(agoMs = 0): void {
    if (this.stateValue !== RecordingState.Recording) throw new RecordingStateError(`resume() in state ${this.stateValue}`);
    if (!this.pausedValue) throw new RecordingPauseError('RECORDING_NOT_PAUSED');
    this.pausedValue = false;
    this.owner.send(this.thread, { t: 'resume', rid: this.rid, at: sharedNow() - Math.max(0, agoMs) });
  }

  stop(reason: StopReason = 'stop', agoMs = 0): Promise<RecordingResult> {
    if (this.stateValue === RecordingState.Pending || this.stateValue === RecordingState.Recording) {
      this.stateValue = RecordingState.Stopping;
      // The worker runs the stop on its clock at that moment, as Recording.stop(reason, agoMs) would.
      this.owner.send(this.thread, { t: 'stop', rid: this.rid, reason, at: sharedNow() - Math.max(0, agoMs) });
    }
    return this.finished;
  }

  /** @internal */
  settle(m: Extract<FromSessionWorker, { t: 'finished' | 'failed' }>): void {
    if (this.stateValue === RecordingState.Finished) return;
    this.stateValue = RecordingState.Finished;
    this.owner.recordings.delete(this.rid);
    if (m.t === 'finished') {
      this.onDone(m.result);
      this.resolveFinished(m.result);
    } else {
      this.onDone(null);
      this.rejectFinished(fromWire(m.error));
    }
  }
}
