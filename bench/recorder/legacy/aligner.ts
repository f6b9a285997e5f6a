/* Bench-only copy of src/recorder/aligner.ts as of 10f1489 (before issue 14's changes): the competitor bench:recorder-stages compares today's stage with, in the same run. Not used by the service. */
import type { Frame } from './jitter-buffer';

/**
 * Turns one leg's released frames into a continuous PCM stream on the call's clock: silence for
 * time no frame covered (before the leg started, lost packets, hold, gaps between segments) and
 * trimming where a new segment overlaps time already produced. Because every leg is filled to
 * the same clock position, all legs of a call stay sample-aligned. Pure: positions come in with
 * the frames and with fillTo().
 *
 * Silence is stored as a run length, so a long gap costs no memory.
 */
type Chunk = Int16Array | number;

export class LegAligner {
  private chunks: Chunk[] = [];
  private head = 0;
  /** Offset already consumed inside chunks[head]. */
  private headUsed = 0;
  private readPos: number;
  private endPos: number;
  private queued = 0;
  /** Samples dropped because a frame overlapped time already produced. */
  overlapDropped = 0;

  constructor(startPos = 0) {
    this.readPos = startPos;
    this.endPos = startPos;
  }

  /** Call-clock position just past the last queued sample. */
  get end(): number {
    return this.endPos;
  }

  /** Call-clock position of the next sample read() returns. */
  get position(): number {
    return this.readPos;
  }

  get available(): number {
    return this.queued;
  }

  push(frame: Frame, frameSamples: number): void {
    const len = frame.samples ? frame.samples.length : frameSamples;
    let skip = 0;
    if (frame.pos > this.endPos) this.append(frame.pos - this.endPos);
    else if (frame.pos < this.endPos) skip = this.endPos - frame.pos;
    if (skip >= len) {
      this.overlapDropped += len;
      return;
    }
    this.overlapDropped += skip;
    if (frame.samples === null) this.append(len - skip);
    else this.append(skip === 0 ? frame.samples : frame.samples.subarray(skip));
  }

  /** Pads with silence up to `pos` (nothing when already there). */
  fillTo(pos: number): void {
    if (pos > this.endPos) this.append(pos - this.endPos);
  }

  /** Drops everything before `pos` (record_on_answer: nothing before begin() is written). */
  discardBefore(pos: number): void {
    if (pos > this.endPos) {
      this.clear();
      this.readPos = pos;
      this.endPos = pos;
      return;
    }
    if (pos > this.readPos) this.read(pos - this.readPos);
  }

  /** Returns the next n samples (n <= available). */
  read(n: number): Int16Array {
    if (n > this.queued) throw new RangeError(`read ${n} > available ${this.queued}`);
    const out = new Int16Array(n);
    let w = 0;
    while (w < n) {
      const c = this.chunks[this.head];
      const len = typeof c === 'number' ? c : c.length;
      const take = Math.min(len - this.headUsed, n - w);
      if (typeof c !== 'number') out.set(c.subarray(this.headUsed, this.headUsed + take), w);
      w += take;
      this.headUsed += take;
      if (this.headUsed === len) {
        this.head++;
        this.headUsed = 0;
      }
    }
    if (this.head > 64) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    this.queued -= n;
    this.readPos += n;
    return out;
  }

  private append(c: Chunk): void {
    const len = typeof c === 'number' ? c : c.length;
    if (len === 0) return;
    const last = this.chunks[this.chunks.length - 1];
    if (typeof c === 'number' && typeof last === 'number' && this.chunks.length > this.head) {
      this.chunks[this.chunks.length - 1] = last + c;
    } else {
      this.chunks.push(c);
    }
    this.queued += len;
    this.endPos += len;
  }

  private clear(): void {
    this.chunks = [];
    this.head = 0;
    this.headUsed = 0;
    this.queued = 0;
  }
}
