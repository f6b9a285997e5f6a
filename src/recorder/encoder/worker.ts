/**
 * Encoder worker: hosts many recordings' outputs. For each it resamples and mixes the legs and
 * streams the result into the file encoder, so the signalling event loop only moves PCM.
 * Messages of one job are handled strictly in order through a per-job promise chain (an
 * encoder may be asynchronous: wasm instantiation, pipe backpressure).
 */
import { parentPort } from 'node:worker_threads';
import { rmSync } from 'node:fs';
import type { ToWorker, FromWorker } from './protocol';
import type { AudioFileWriter, OutputSpec } from './writer';
import { WavFileWriter } from './wav';
import { Mp3WasmWriter } from './mp3-wasm';
import { Mp3LameCliWriter } from './mp3-lame-cli';
import { Renderer } from './render';

interface Job {
  readonly spec: OutputSpec;
  readonly renderer: Renderer;
  writer: AudioFileWriter | null;
  chain: Promise<void>;
  frames: number;
  /** Time this worker spent on the job (resample, mix, encode or pipe), for the encoder metric. */
  workSec: number;
  failed: Error | null;
}

const jobs = new Map<number, Job>();
const port = parentPort;
if (port === null) throw new Error('encoder worker started outside a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

async function openWriter(spec: OutputSpec): Promise<AudioFileWriter> {
  const channels = spec.channelMode === 'stereo' ? 2 : 1;
  if (spec.format === 'wav') return new WavFileWriter(spec.path, spec.sampleRate, channels);
  if (spec.mp3Backend === 'lame-cli') return new Mp3LameCliWriter(spec.path, spec.sampleRate, channels, spec.mp3BitrateKbps, spec.lamePath, spec.mp3Quality);
  return Mp3WasmWriter.create(spec.path, spec.sampleRate, channels, spec.mp3BitrateKbps);
}

function enqueue(job: Job, step: () => Promise<void> | void): void {
  job.chain = job.chain.then(async () => {
    if (job.failed) return;
    try {
      await step();
    } catch (err) {
      job.failed = err instanceof Error ? err : new Error(String(err));
    }
  });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'open') {
    const job: Job = { spec: m.spec, renderer: new Renderer(m.spec.legs, m.spec.sampleRate, m.spec.channelMode), writer: null, chain: Promise.resolve(), frames: 0, workSec: 0, failed: null };
    jobs.set(m.id, job);
    enqueue(job, async () => {
      job.writer = await openWriter(m.spec);
    });
    return;
  }
  const job = jobs.get(m.id);
  if (job === undefined) {
    post({ type: 'error', id: m.id, message: `no such encoder job ${m.id}` });
    return;
  }
  if (m.type === 'pcm') {
    enqueue(job, async () => {
      const t0 = performance.now();
      const n = m.pcm.length / job.spec.legs;
      const legs = Array.from({ length: job.spec.legs }, (_, i) => m.pcm.subarray(i * n, (i + 1) * n));
      const out = job.renderer.render(legs);
      job.frames += out.length / (job.spec.channelMode === 'stereo' ? 2 : 1);
      const wrote = job.writer?.write(out);
      job.workSec += (performance.now() - t0) / 1000;
      await wrote;
    });
    return;
  }
  jobs.delete(m.id);
  const abort = m.type === 'abort';
  job.chain = job.chain.then(async () => {
    let bytes = 0;
    try {
      if (job.writer) bytes = await job.writer.close();
    } catch (err) {
      job.failed ??= err instanceof Error ? err : new Error(String(err));
    }
    if (abort) {
      rmSync(job.spec.path, { force: true });
      post({ type: 'aborted', id: m.id });
    } else if (job.failed) {
      post({ type: 'error', id: m.id, message: job.failed.message });
    } else {
      post({ type: 'closed', id: m.id, bytes, frames: job.frames, workSec: job.workSec });
    }
  });
});
