/**
 * Recorder worker thread: hosts whole RecordingSessions (UDP sockets, jitter buffers, aligners)
 * with their encoders in this thread, so no per-packet work reaches the signalling event loop.
 * The main side is RecorderThreads / RemoteRecordingSession.
 */
import { parentPort } from 'node:worker_threads';
import { RecordingSession } from '../session';
import type { Recording } from '../recording';
import { InThreadEncoders } from '../encoder/output-job';
import { toWire, type FromSessionWorker, type ToSessionWorker } from './protocol';

const port = parentPort;
if (port === null) throw new Error('recorder worker started outside a worker thread');
const post = (m: FromSessionWorker) => port.postMessage(m);
const encoders = new InThreadEncoders();
const sessions = new Map<number, RecordingSession>();
const recordings = new Map<number, Recording>();

function onMessage(m: ToSessionWorker): void {
  switch (m.t) {
    case 'start': {
      const s = new RecordingSession({ ...m.opts, pool: encoders });
      sessions.set(m.sid, s);
      s.on('dtmf', (leg, digit) => post({ t: 'dtmf', sid: m.sid, leg, digit }));
      s.start().then(
        (endpoints) => post({ t: 'started', sid: m.sid, endpoints }),
        (err: unknown) => {
          sessions.delete(m.sid);
          post({ t: 'start-failed', sid: m.sid, error: toWire(err) });
        },
      );
      return;
    }
    case 'codec':
      sessions.get(m.sid)?.setLegCodec(m.leg, m.codec);
      return;
    case 'record': {
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
      return;
    }
    case 'begin':
      recordings.get(m.rid)?.begin();
      return;
    case 'stop':
      void recordings.get(m.rid)?.stop(m.reason);
      return;
    case 'close': {
      const s = sessions.get(m.sid);
      if (s === undefined) {
        post({ t: 'closed', sid: m.sid, results: [] });
        return;
      }
      void s.close(m.reason).then((results) => {
        sessions.delete(m.sid);
        post({ t: 'closed', sid: m.sid, results });
      });
      return;
    }
    case 'stats':
      post({ t: 'stats', req: m.req, stats: sessions.get(m.sid)?.legStats() ?? null });
      return;
  }
}

port.on('message', (m: ToSessionWorker) => {
  try {
    onMessage(m);
  } catch (err) {
    // A state error on begin/stop must not kill the thread that hosts other calls.
    if ('rid' in m) post({ t: 'failed', rid: m.rid, error: toWire(err) });
  }
});
