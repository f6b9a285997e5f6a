import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { defaultRecordingPath, type LegEndpoint, type SessionEvents } from '../session';
import { RecordingState, validateSettings, type LegStats, type RecordingResult, type RecordingSettings, type StopReason } from '../recording';
import { EncoderError, RecorderConfigError, RecordingStateError } from '../errors';
import { fromWire, type FromSessionWorker, type LegCodec, type RemoteSessionOptions, type ToSessionWorker } from './protocol';

interface Thread {
  readonly worker: Worker;
  sessions: number;
  dead: boolean;
}

/**
 * Worker threads hosting whole recording sessions (sockets, jitter buffers, encoders): the
 * alternative to RecordingSession + EncoderPool when the signalling thread must not see any
 * per-packet work. Sessions are spread over the threads, least loaded first.
 */
export class RecorderThreads {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  /** @internal */ readonly sessions = new Map<number, RemoteRecordingSession>();
  /** @internal */ readonly recordings = new Map<number, RemoteRecording>();
  private readonly statsWaiters = new Map<number, (s: Record<string, LegStats> | null) => void>();
  private closed = false;

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  createSession(opts: RemoteSessionOptions): RemoteRecordingSession {
    if (this.closed) throw new RecordingStateError('recorder threads closed');
    const live = this.threads.filter((t) => !t.dead);
    const thread = live.reduce((a, b) => (b.sessions < a.sessions ? b : a));
    const s = new RemoteRecordingSession(this, thread, this.nextId++, opts);
    this.sessions.set(s.sid, s);
    return s;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  /** @internal */
  newId(): number {
    return this.nextId++;
  }

  /** @internal */
  send(thread: Thread, m: ToSessionWorker): void {
    if (thread.dead) return;
    thread.worker.postMessage(m);
  }

  /** @internal */
  stats(thread: Thread, sid: number): Promise<Record<string, LegStats> | null> {
    const req = this.nextId++;
    // An outstanding request keeps the thread referenced, or the process could exit under it.
    thread.worker.ref();
    return new Promise<Record<string, LegStats> | null>((resolve) => {
      this.statsWaiters.set(req, resolve);
      this.send(thread, { t: 'stats', sid, req });
      if (thread.dead) resolve(null);
    }).finally(() => {
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
    const worker = new Worker(join(__dirname, 'session-worker.js'));
    const thread: Thread = { worker, sessions: 0, dead: false };
    worker.on('message', (m: FromSessionWorker) => this.onMessage(m));
    worker.on('error', (err) => this.onDeath(thread, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.onDeath(thread, new Error(`recorder thread exited with ${code}`));
    });
    worker.unref();
    return thread;
  }

  private onMessage(m: FromSessionWorker): void {
    switch (m.t) {
      case 'started':
      case 'start-failed':
      case 'closed':
      case 'dtmf':
        this.sessions.get(m.sid)?.onMessage(m);
        return;
      case 'finished':
      case 'failed':
        this.recordings.get(m.rid)?.settle(m);
        return;
      case 'stats': {
        const w = this.statsWaiters.get(m.req);
        this.statsWaiters.delete(m.req);
        w?.(m.stats);
        return;
      }
    }
  }

  private onDeath(thread: Thread, err: Error): void {
    if (thread.dead) return;
    thread.dead = true;
    for (const s of this.sessions.values()) if (s.thread === thread) s.threadDied(err);
    if (!this.closed) this.threads[this.threads.indexOf(thread)] = this.spawn();
  }
}

/** Main-thread handle of a RecordingSession living in a recorder thread (same contract). */
export class RemoteRecordingSession extends EventEmitter<SessionEvents> {
  private starting: { resolve(e: LegEndpoint[]): void; reject(e: Error): void } | null = null;
  private closing: Promise<RecordingResult[]> | null = null;
  private resolveClosed: ((r: RecordingResult[]) => void) | null = null;
  private seq = 0;
  private started = false;
  readonly legNames: readonly string[];
  private readonly live = new Set<RemoteRecording>();

  constructor(private readonly owner: RecorderThreads, /** @internal */ readonly thread: Thread, readonly sid: number, private readonly opts: RemoteSessionOptions) {
    super();
    this.legNames = opts.legs ?? ['caller', 'callee'];
  }

  start(): Promise<LegEndpoint[]> {
    if (this.started) return Promise.reject(new RecordingStateError('start() twice'));
    this.started = true;
    this.owner.hold(this.thread, 1);
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      this.owner.send(this.thread, { t: 'start', sid: this.sid, opts: this.opts });
    });
  }

  setLegCodec(leg: string, c: LegCodec): void {
    if (!this.legNames.includes(leg)) throw new RecorderConfigError(`unknown leg ${leg}`);
    const enc = c.encoding.toUpperCase();
    if (enc !== 'PCMU' && enc !== 'PCMA') throw new RecorderConfigError(`the recorder decodes PCMU and PCMA, not ${c.encoding}`);
    this.owner.send(this.thread, { t: 'codec', sid: this.sid, leg, codec: c });
  }

  record(settings: Omit<RecordingSettings, 'path'> & { path?: string }): RemoteRecording {
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
    this.owner.send(this.thread, { t: 'record', sid: this.sid, rid: r.rid, settings: full });
    return r;
  }

  legStats(): Promise<Record<string, LegStats> | null> {
    return this.owner.stats(this.thread, this.sid);
  }

  close(reason: StopReason = 'hangup'): Promise<RecordingResult[]> {
    this.closing ??= new Promise<RecordingResult[]>((resolve) => {
      this.resolveClosed = resolve;
      this.owner.send(this.thread, { t: 'close', sid: this.sid, reason });
      if (this.thread.dead) this.threadDied(new Error('recorder thread died'));
    }).finally(() => {
      this.owner.sessions.delete(this.sid);
      if (this.started) this.owner.hold(this.thread, -1);
      this.emit('closed');
    });
    return this.closing;
  }

  /** @internal */
  onMessage(m: FromSessionWorker): void {
    if (m.t === 'started') this.starting?.resolve(m.endpoints);
    else if (m.t === 'start-failed') this.starting?.reject(fromWire(m.error));
    else if (m.t === 'dtmf') this.emit('dtmf', m.leg, m.digit);
    else if (m.t === 'closed') this.resolveClosed?.(m.results);
    if (m.t === 'started' || m.t === 'start-failed') this.starting = null;
  }

  /** @internal */
  threadDied(err: Error): void {
    this.starting?.reject(new EncoderError(`recorder thread died: ${err.message}`));
    this.starting = null;
    for (const r of this.live) r.settle({ t: 'failed', rid: r.rid, error: { code: 'RECORDER_ENCODER_FAILED', message: `recorder thread died: ${err.message}` } });
    this.resolveClosed?.([]);
  }
}

/** Main-thread handle of a Recording in a recorder thread. */
export class RemoteRecording {
  private stateValue = RecordingState.Pending;
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

  begin(): void {
    if (this.stateValue !== RecordingState.Pending) throw new RecordingStateError(`begin() in state ${this.stateValue}`);
    this.stateValue = RecordingState.Recording;
    this.owner.send(this.thread, { t: 'begin', rid: this.rid });
  }

  stop(reason: StopReason = 'stop'): Promise<RecordingResult> {
    if (this.stateValue === RecordingState.Pending || this.stateValue === RecordingState.Recording) {
      this.stateValue = RecordingState.Stopping;
      this.owner.send(this.thread, { t: 'stop', rid: this.rid, reason });
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
