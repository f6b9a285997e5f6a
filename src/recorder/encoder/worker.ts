/**
 * Encoder worker: hosts many recordings' outputs (OutputJob: resample, mix, encode), so the
 * signalling event loop only moves PCM.
 */
import { parentPort } from 'node:worker_threads';
import type { ToWorker, FromWorker } from './protocol';
import { OutputJob, unpackLegs } from './output-job';

const jobs = new Map<number, OutputJob>();
const port = parentPort;
if (port === null) throw new Error('encoder worker started outside a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'open') {
    jobs.set(m.id, new OutputJob(m.spec, {}, (line) => post({ type: 'warn', line })));
    return;
  }
  const job = jobs.get(m.id);
  if (job === undefined) {
    post({ type: 'error', id: m.id, message: `no such encoder job ${m.id}` });
    return;
  }
  if (m.type === 'pcm') {
    job.push(unpackLegs(m.pcm, job.legs));
    return;
  }
  jobs.delete(m.id);
  const abort = m.type === 'abort';
  job.finish(abort).then(
    (file) => post(file === null ? { type: 'aborted', id: m.id } : { type: 'closed', id: m.id, ...file }),
    (err: Error) => post({ type: 'error', id: m.id, message: err.message }),
  );
});
