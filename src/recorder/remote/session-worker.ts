/**
 * Recorder worker thread: hosts whole RecordingSessions (UDP sockets, jitter buffers, aligners)
 * with their encoders (resampling, mixing, the lame pipes) in this thread, so no per-packet work
 * reaches the signalling event loop. The main side is RecorderThreads / RemoteRecordingSession.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import pino from 'pino';
import { RecordingSession } from '../session';
import type { Recording } from '../recording';
import { InThreadEncoders, type EncoderEnv } from '../encoder/output-job';
import { sharedNow, toWire, type FromSessionWorker, type ToSessionWorker } from './protocol';
import { liveBytes } from './live-bytes';
import { reportLateness, sharedTicker } from '../ticker';
import { LOAD_REPORT_MS } from '../overload';

/** Encryption at rest (every file this thread writes is sealed with the key) and the lame spawner. */
export type SessionWorkerData = EncoderEnv;

const port = parentPort;
if (port === null) throw new Error('recorder worker started outside a worker thread');
const post = (m: FromSessionWorker): void => port.postMessage(m);
const data = (workerData ?? {}) as SessionWorkerData;
const sessions = new Map<number, RecordingSession>();
const recordings = new Map<number, Recording>();
const quiet = pino({ level: 'silent' });
/** This thread's event-loop lag, measured from the first usage request on (bench:recordings). */
let lag: IntervalHistogram | undefined;
/**
 * The sessions' clock. While a begin or a close is applied it reads the moment the main thread
 * asked (never later than now), so a busy thread or a slow hand-over does not move a recording's
 * edges; jitterMs leaves that much room before those samples are released. Pause, resume and
 * stop take that moment as an age instead (agoOf), which their Recording methods accept.
 */
let asked: number | null = null;
const now = (): number => asked ?? performance.now();
function at<T>(when: number, fn: () => T): T {
  asked = Math.min(performance.now(), when - performance.timeOrigin);
  try {
    return fn();
  } finally {
    asked = null;
  }
}
/** How long before now the main thread's moment `when` (sharedNow) was. */
const agoOf = (when: number): number => Math.max(0, sharedNow() - when);
/** Lines of no session (sid 0): the host's own logger writes them. */
const threadLog = pino({ level: 'warn', base: undefined, timestamp: false }, { write: (line: string) => post({ t: 'log', sid: 0, line }) });
const encoders = new InThreadEncoders(data, (line) => threadLog.warn(line));

/** This thread's CPU seconds (Linux: /proc/thread-self/stat utime + stime, in clock ticks of 10 ms). */
function threadCpuSeconds(): number | null {
  try {
    const f = readFileSync('/proc/thread-self/stat', 'utf8');
    const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(x[11]) + Number(x[12])) / 100;
  } catch {
    return null;
  }
}

function startSession(m: Extract<ToSessionWorker, { t: 'start' }>): void {
  // The session's log lines go to the main thread's logger (one destination for the process).
  const logger = m.logLevel === 'silent' ? quiet : pino({ level: m.logLevel, base: undefined, timestamp: false }, { write: (line: string) => post({ t: 'log', sid: m.sid, line }) });
  const s = new RecordingSession({ ...m.opts, pool: encoders, logger, now });
  sessions.set(m.sid, s);
  s.on('dtmf', (leg, digit, agoMs) => post({ t: 'dtmf', sid: m.sid, leg, digit, at: sharedNow() - agoMs }));
  s.start().then(
    (endpoints) => post({ t: 'started', sid: m.sid, endpoints }),
    (err: unknown) => {
      sessions.delete(m.sid);
      post({ t: 'start-failed', sid: m.sid, error: toWire(err) });
    },
  );
}

function record(m: Extract<ToSessionWorker, { t: 'record' }>): void {
  const s = sessions.get(m.sid);
  try {
    if (s === undefined) throw Object.assign(new Error(`no session ${m.sid}`), { code: 'RECORDING_BAD_STATE' });
    const r = s.record(m.settings);
    recordings.set(m.rid, r);
    r.finished.then(
      (result) => post({ t: 'finished', rid: m.rid, result }),
      (err: unknown) => post({ t: 'failed', rid: m.rid, error: toWire(err) }),
    ).finally(() => recordings.delete(m.rid));
  } catch (err) {
    post({ t: 'failed', rid: m.rid, error: toWire(err) });
  }
}

function onMessage(m: ToSessionWorker): void {
  switch (m.t) {
    case 'start':
      return startSession(m);
    case 'codec':
      sessions.get(m.sid)?.setLegCodec(m.leg, m.codec);
      return;
    case 'record':
      return record(m);
    case 'begin':
      at(m.at, () => recordings.get(m.rid)?.begin());
      return;
    // As an age, not through at(): the pause log's wall times move back with the edge; a stop
    // takes its age the same way (Recording.stop's agoMs).
    case 'pause':
      recordings.get(m.rid)?.pause(agoOf(m.at));
      return;
    case 'resume':
      recordings.get(m.rid)?.resume(agoOf(m.at));
      return;
    case 'stop':
      void recordings.get(m.rid)?.stop(m.reason, agoOf(m.at));
      return;
    case 'close': {
      const s = sessions.get(m.sid);
      if (s === undefined) {
        post({ t: 'closed', sid: m.sid, results: [], stats: {} });
        return;
      }
      // Its synchronous part (buffers flushed, recordings stopped) runs at the asked moment.
      void at(m.at, () => s.close(m.reason)).then((results) => {
        sessions.delete(m.sid);
        post({ t: 'closed', sid: m.sid, results, stats: s.legStats() });
      });
      return;
    }
    case 'stats':
      post({ t: 'stats', req: m.req, stats: sessions.get(m.sid)?.legStats() ?? null });
      return;
    case 'usage': {
      // Read before any collection below, whose pause would count as lag.
      lag ??= monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const lagP99Ms = lag.count > 0 ? lag.percentile(99) / 1e6 : 0;
      const lagMaxMs = lag.count > 0 ? lag.max / 1e6 : 0;
      if (m.resetLag) lag.reset();
      const cpuSeconds = threadCpuSeconds();
      void liveBytes(m.gc).then((heapBytes) => {
        post({ t: 'usage', req: m.req, usage: { cpuSeconds, heapBytes, lagP99Ms, lagMaxMs } });
      });
      return;
    }
  }
}

post({ t: 'ready' });
reportLateness(sharedTicker, LOAD_REPORT_MS, (lateMs) => post({ t: 'load', report: { lateMs, backlogMs: encoders.maxBacklogSec() * 1000 } }));
port.on('message', (m: ToSessionWorker) => {
  try {
    onMessage(m);
  } catch (err) {
    // The main side checks states before sending, so this is a race with a time limit or a
    // close; it must not kill the thread that hosts other calls, nor fail a finishing recording.
    threadLog.warn({ err, message: m.t }, 'recorder thread message refused');
  }
});
