import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import type { ToWorker, FromWorker } from './protocol';
import type { OutputSpec } from './writer';
import type { SpoolKey } from '../../atrest/keyring';
import { EncoderError } from '../errors';
import { givePcm } from './pcm-pool';
import { packLegs, withEnv, type EncodedFile, type EncoderFactory, type EncoderSink } from './output-job';

export type { EncodedFile } from './output-job';

interface Slot {
  readonly worker: Worker;
  jobs: number;
  dead: Error | null;
}

interface Pending {
  readonly slot: Slot;
  resolve(v: EncodedFile | null): void;
  reject(e: Error): void;
}

/**
 * A fixed pool of encoder worker threads shared by every recording. A job is pinned to the
 * least-loaded worker when opened (its encoder state lives there). PCM buffers are transferred,
 * not copied, so the main thread's cost per chunk is one postMessage.
 */
export class EncoderPool implements EncoderFactory {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly jobSlot = new Map<number, Slot>();
  private nextId = 1;
  private closed = false;

  /**
   * `encryption`: every file this pool opens is encrypted as written with this key (encryption
   * at rest); `spawner`: the lame spawner's socket, so no encoder forks this process; `warn`:
   * where the workers' log lines go.
   */
  constructor(size = Math.max(1, availableParallelism() - 1), private readonly encryption?: SpoolKey, private readonly spawner?: string, private readonly warn?: (line: string) => void) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  open(spec: OutputSpec): EncoderJob {
    if (this.closed) throw new EncoderError('encoder pool closed');
    const live = this.slots.filter((s) => s.dead === null);
    if (live.length === 0) throw new EncoderError('no encoder worker alive');
    const slot = live.reduce((a, b) => (b.jobs < a.jobs ? b : a));
    const id = this.nextId++;
    // A worker with work keeps the process alive; an idle one does not.
    if (slot.jobs++ === 0) slot.worker.ref();
    this.jobSlot.set(id, slot);
    this.send(slot, { type: 'open', id, spec: withEnv(spec, { ...(this.encryption ? { encryption: this.encryption } : {}), ...(this.spawner !== undefined ? { spawner: this.spawner } : {}) }) });
    return new EncoderJob(this, id, spec.legs);
  }

  /** @internal */
  sendPcm(id: number, pcm: Int16Array): void {
    const slot = this.jobSlot.get(id);
    if (slot === undefined || slot.dead) return;
    slot.worker.postMessage({ type: 'pcm', id, pcm } satisfies ToWorker, [pcm.buffer as ArrayBuffer]);
  }

  /** @internal */
  finish(id: number, abort: boolean): Promise<EncodedFile | null> {
    const slot = this.jobSlot.get(id);
    if (slot === undefined) return Promise.reject(new EncoderError(`unknown encoder job ${id}`));
    if (slot.dead) return Promise.reject(new EncoderError(`encoder worker died: ${slot.dead.message}`));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      this.send(slot, { type: abort ? 'abort' : 'close', id });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private send(slot: Slot, m: ToWorker): void {
    slot.worker.postMessage(m);
  }

  private spawn(): Slot {
    const worker = new Worker(join(__dirname, 'worker.js'));
    const slot: Slot = { worker, jobs: 0, dead: null };
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.onDeath(slot, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.onDeath(slot, new Error(`exited with code ${code}`));
    });
    // An idle pool must not keep the process alive on its own.
    worker.unref();
    return slot;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'warn') {
      this.warn?.(m.line);
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    this.jobSlot.delete(m.id);
    if (--p.slot.jobs === 0) p.slot.worker.unref();
    if (m.type === 'closed') p.resolve({ bytes: m.bytes, frames: m.frames, workSec: m.workSec });
    else if (m.type === 'aborted') p.resolve(null);
    else p.reject(new EncoderError(m.message));
  }

  private onDeath(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = err;
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(new EncoderError(`encoder worker died: ${err.message}`));
    }
    // Replace the worker so later recordings still have somewhere to go.
    if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
  }
}

/** One recording's output inside the pool. */
export class EncoderJob implements EncoderSink {
  private done: Promise<EncodedFile | null> | null = null;

  constructor(private readonly pool: EncoderPool, readonly id: number, readonly legs: number) {}

  /** Equal-length 8 kHz chunks, one per leg, in leg order; ownership passes to the worker. */
  write(legs: readonly Int16Array[]): void {
    if (this.done) return;
    if (legs[0].length === 0) return;
    this.pool.sendPcm(this.id, packLegs(legs));
    for (const l of legs) givePcm(l); // packed (copied): the batch arrays serve the next batches
  }

  /** Finishes the file; idempotent. */
  close(): Promise<EncodedFile | null> {
    this.done ??= this.pool.finish(this.id, false);
    return this.done;
  }

  /** Stops and deletes the file; idempotent (a closed job stays closed). */
  abort(): Promise<EncodedFile | null> {
    this.done ??= this.pool.finish(this.id, true);
    return this.done;
  }
}
