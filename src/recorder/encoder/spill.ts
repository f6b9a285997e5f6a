/**
 * Where a recording's audio waits when its encoder cannot keep up (lame starved of CPU, or
 * stopped): past OutputJob's memory allowance, the 8 kHz batches go to a file beside the
 * recording and come back, in order, when the encoder takes them. Memory per recording stays
 * bounded however long the stall, and nothing is dropped.
 *
 * Each batch is sealed with AES-256-GCM under a key made for this file that never leaves the
 * thread's memory, so call audio never lies on disk in clear (whether or not encryption at rest
 * is configured), and after a crash the file is noise to whoever finds it. A tampered or
 * truncated file fails the read and so the recording (visible), never plays back altered audio.
 *
 * The writes and reads are synchronous: one 16 KB batch per 500 ms per stalled recording into
 * the page cache, which costs less than the promise an asynchronous write would carry, and
 * keeps the batches' order without a queue of its own.
 */
import { closeSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One batch in the file: where, and what opens it. */
export interface SpilledBatch {
  readonly offset: number;
  readonly bytes: number;
  readonly legs: number;
  readonly iv: Buffer;
  readonly tag: Buffer;
}

export class SpillFile {
  private fd: number | null = null;
  private end = 0;
  /** Batches written and not yet taken back: the file goes when this returns to 0. */
  private pending = 0;
  private readonly key = randomBytes(32);

  constructor(readonly path: string) {}

  /** Bytes on disk now (for tests and diagnostics). */
  get size(): number {
    return this.end;
  }

  /** Appends equal-length legs; throws when the disk refuses (the caller keeps them in memory). */
  put(legs: readonly Int16Array[]): SpilledBatch {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const parts = legs.map((l) => cipher.update(Buffer.from(l.buffer, l.byteOffset, l.byteLength)));
    parts.push(cipher.final());
    const sealed = Buffer.concat(parts);
    // 0o600: like the recordings, readable by the service's user only.
    this.fd ??= openSync(this.path, 'w+', 0o600);
    let done = 0;
    while (done < sealed.length) done += writeSync(this.fd, sealed, done, sealed.length - done, this.end + done);
    const b: SpilledBatch = { offset: this.end, bytes: sealed.length, legs: legs.length, iv, tag: cipher.getAuthTag() };
    this.end += sealed.length;
    this.pending++;
    return b;
  }

  /** The batch's legs back; throws when the file does not give back what was written. */
  take(b: SpilledBatch): Int16Array[] {
    if (this.fd === null) throw new Error(`spill file ${this.path} is closed`);
    const sealed = Buffer.allocUnsafe(b.bytes);
    let got = 0;
    while (got < b.bytes) {
      const n = readSync(this.fd, sealed, got, b.bytes - got, b.offset + got);
      if (n === 0) throw new Error(`spill file ${this.path} is short`);
      got += n;
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, b.iv);
    decipher.setAuthTag(b.tag);
    const head = decipher.update(sealed);
    const tail = decipher.final(); // throws when the tag does not match
    // Copied into an array of its own: a small Buffer may sit at an odd offset of Node's pool.
    const pcm = new Int16Array((head.length + tail.length) / 2);
    const bytes = new Uint8Array(pcm.buffer);
    bytes.set(head);
    bytes.set(tail, head.length);
    const n = pcm.length / b.legs;
    const legs = Array.from({ length: b.legs }, (_, i) => pcm.subarray(i * n, (i + 1) * n));
    if (--this.pending === 0) this.discard();
    return legs;
  }

  /** Closes and deletes the file (emptied, or the recording ended); the next put() starts anew. */
  discard(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.end = 0;
    this.pending = 0;
    rmSync(this.path, { force: true });
  }
}

/**
 * Deletes the spill files a crash left in `dir` (their keys died with the process, so they are
 * noise that only takes disk); called at start. Returns how many went.
 */
export function sweepSpillFiles(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // not created yet: nothing was spilled there
  }
  let swept = 0;
  for (const name of names) {
    if (!name.endsWith('.spill')) continue;
    rmSync(join(dir, name), { force: true });
    swept++;
  }
  return swept;
}
