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
 * All file I/O is asynchronous (libuv's thread pool), never on the recorder thread: a spill
 * happens when the machine is overloaded, which is also when the disk is busy with every lame's
 * output and the delivery journal's fsyncs, and a synchronous create, write or unlink there
 * waited on the file system's journal for seconds (bench:recordings at 300 calls: the recorder
 * thread's loop stalled 4.5-9 s, lame starts timed out). A batch stays in memory until its
 * write has succeeded; if the write fails (disk full), it stays there and is read from memory.
 * Each emptied file is closed and deleted, and the next spill opens a new one under a new name,
 * so a deletion in flight never meets its successor.
 */
import { open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** One batch: in the file once written, in memory until then (or for good if writing failed). */
export interface SpilledBatch {
  readonly file: SpillGeneration;
  readonly offset: number;
  readonly bytes: number;
  readonly legs: number;
  readonly iv: Buffer;
  readonly tag: Buffer;
  /** The sealed bytes while not (or not successfully) on disk. */
  sealed: Buffer | null;
  readonly written: Promise<void>;
}

/** One file: opened at its first batch, closed and deleted when its last batch is taken. */
interface SpillGeneration {
  readonly path: string;
  readonly handle: Promise<FileHandle>;
  end: number;
  pending: number;
  /** Bytes on disk (written successfully and not yet given back). */
  onDisk: number;
}

export class SpillFile {
  private current: SpillGeneration | null = null;
  private generations = 0;
  private readonly key = randomBytes(32);
  private readonly all = new Set<SpillGeneration>();
  /** Deletions under way (discard() waits for them too). */
  private readonly removing = new Set<Promise<void>>();

  private warned = false;

  /**
   * `base`: the recording's path; files are `<base>.<n>.spill`. `onWriteFailed`: told of the
   * first write that failed (once per recording: a full disk fails every batch after it), so
   * that memory growing in place of the file is seen in the log.
   */
  constructor(readonly base: string, private readonly onWriteFailed?: (path: string, err: Error) => void) {}

  /** Bytes waiting on disk now (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const g of this.all) n += g.onDisk;
    return n;
  }

  /** Seals equal-length legs and starts writing them; never throws for the disk's sake. */
  put(legs: readonly Int16Array[]): SpilledBatch {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const parts = legs.map((l) => cipher.update(Buffer.from(l.buffer, l.byteOffset, l.byteLength)));
    parts.push(cipher.final());
    const sealed = Buffer.concat(parts);
    const g = (this.current ??= this.openGeneration());
    const offset = g.end;
    g.end += sealed.length;
    g.pending++;
    const b: SpilledBatch = {
      file: g,
      offset,
      bytes: sealed.length,
      legs: legs.length,
      iv,
      tag: cipher.getAuthTag(),
      sealed,
      written: g.handle.then(async (fh) => {
        let done = 0;
        while (done < sealed.length) done += (await fh.write(sealed, done, sealed.length - done, offset + done)).bytesWritten;
        b.sealed = null; // on disk now: the memory goes
        g.onDisk += sealed.length;
      }).catch((err: unknown) => {
        // Disk full, read-only, gone: the batch stays in memory (nothing is dropped).
        if (this.warned) return;
        this.warned = true;
        this.onWriteFailed?.(g.path, err instanceof Error ? err : new Error(String(err)));
      }),
    };
    return b;
  }

  /** The batch's legs back, in memory or from the file; rejects when the file does not give back what was written. */
  async take(b: SpilledBatch): Promise<Int16Array[]> {
    await b.written;
    const g = b.file;
    try {
      let sealed = b.sealed;
      if (sealed === null) {
        sealed = Buffer.allocUnsafe(b.bytes);
        const fh = await g.handle;
        let got = 0;
        while (got < b.bytes) {
          const { bytesRead } = await fh.read(sealed, got, b.bytes - got, b.offset + got);
          if (bytesRead === 0) throw new Error(`spill file ${g.path} is short`);
          got += bytesRead;
        }
        g.onDisk -= b.bytes;
      }
      b.sealed = null;
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
      return Array.from({ length: b.legs }, (_, i) => pcm.subarray(i * n, (i + 1) * n));
    } finally {
      if (--g.pending === 0) this.retire(g);
    }
  }

  /** Closes and deletes every file (the recording ended); resolves once they are gone. */
  async discard(): Promise<void> {
    const gens = [...this.all];
    this.current = null;
    await Promise.all([...gens.map((g) => this.remove(g)), ...this.removing]);
  }

  private openGeneration(): SpillGeneration {
    const path = `${this.base}.${++this.generations}.spill`;
    // 0o600: like the recordings, readable by the service's user only.
    const g: SpillGeneration = { path, handle: open(path, 'w+', 0o600), end: 0, pending: 0, onDisk: 0 };
    g.handle.catch(() => undefined); // a failed open is seen by each batch's write
    this.all.add(g);
    return g;
  }

  /** An emptied file: the next batch starts a new one, this one goes. */
  private retire(g: SpillGeneration): void {
    if (this.current === g) this.current = null;
    void this.remove(g);
  }

  private remove(g: SpillGeneration): Promise<void> {
    if (!this.all.delete(g)) return Promise.resolve();
    const gone = (async () => {
      await g.handle.then((fh) => fh.close(), () => undefined).catch(() => undefined);
      await rm(g.path, { force: true }).catch(() => undefined);
    })();
    this.removing.add(gone);
    void gone.finally(() => this.removing.delete(gone));
    return gone;
  }
}

/**
 * Deletes the spill files a crash left in `dir` (their keys died with the process, so they are
 * noise that only takes disk); called at start. Resolves with how many went.
 */
export async function sweepSpillFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0; // not created yet: nothing was spilled there
  }
  const spills = names.filter((n) => n.endsWith('.spill'));
  await Promise.all(spills.map((n) => rm(join(dir, n), { force: true })));
  return spills.length;
}
