import type { FrameSink } from './jitter-buffer';

/**
 * Turns one leg's released frames into a continuous PCM stream on the call's clock: silence for
 * time no frame covered (before the leg started, lost packets, hold, gaps between segments) and
 * trimming where a new segment overlaps time already produced. Because every leg is filled to
 * the same clock position, all legs of a call stay sample-aligned. Pure: positions come in with
 * the frames and with fillTo().
 *
 * Samples live in a ring that grows to what is queued between two reads (the session reads every
 * tick, so a few hundred milliseconds) and is then reused: no allocation per frame or read
 * (issue 14). Silence at the end is a count until audio follows it, so a long silent stretch
 * (a leg not yet started, padding after a stalled loop) costs no memory.
 */
export class LegAligner implements FrameSink {
  private ring = new Int16Array(1024);
  private mask = 1023;
  /** Ring index of the sample at readPos. */
  private head = 0;
  /** Samples in the ring from head on. */
  private stored = 0;
  /** Silence queued after the stored samples, not written to the ring yet. */
  private silence = 0;
  private readPos: number;
  private endPos: number;
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

  /** Call-clock position of the next sample readInto() returns. */
  get position(): number {
    return this.readPos;
  }

  get available(): number {
    return this.stored + this.silence;
  }

  /** FrameSink: a frame of n samples at `pos` (null: n samples of silence). */
  frame(pos: number, samples: Int16Array | null, n: number): void {
    let skip = 0;
    if (pos > this.endPos) this.fillTo(pos);
    else if (pos < this.endPos) skip = this.endPos - pos;
    if (skip >= n) {
      this.overlapDropped += n;
      return;
    }
    this.overlapDropped += skip;
    const len = n - skip;
    this.endPos += len;
    if (samples === null) {
      this.silence += len;
      return;
    }
    this.materialize(len);
    const ring = this.ring;
    const mask = this.mask;
    let w = (this.head + this.stored) & mask;
    for (let i = skip; i < n; i++) {
      ring[w] = samples[i];
      w = (w + 1) & mask;
    }
    this.stored += len;
  }

  /** Pads with silence up to `pos` (nothing when already there). */
  fillTo(pos: number): void {
    if (pos > this.endPos) {
      this.silence += pos - this.endPos;
      this.endPos = pos;
    }
  }

  /** Drops everything before `pos` (record_on_answer: nothing before begin() is written). */
  discardBefore(pos: number): void {
    if (pos > this.endPos) {
      this.stored = 0;
      this.silence = 0;
      this.readPos = pos;
      this.endPos = pos;
      return;
    }
    if (pos > this.readPos) this.consume(null, 0, pos - this.readPos);
  }

  /** Copies the next n samples (n <= available) into out[offset..offset + n). */
  readInto(out: Int16Array, offset: number, n: number): void {
    if (n > this.available) throw new RangeError(`read ${n} > available ${this.available}`);
    this.consume(out, offset, n);
  }

  private consume(out: Int16Array | null, offset: number, n: number): void {
    const fromRing = Math.min(n, this.stored);
    if (out !== null) {
      const ring = this.ring;
      const mask = this.mask;
      let r = this.head;
      for (let i = 0; i < fromRing; i++) {
        out[offset + i] = ring[r];
        r = (r + 1) & mask;
      }
      if (n > fromRing) out.fill(0, offset + fromRing, offset + n);
    }
    this.head = (this.head + fromRing) & this.mask;
    this.stored -= fromRing;
    this.silence -= n - fromRing;
    this.readPos += n;
  }

  /** Writes the queued silence into the ring (audio follows it) with room for `more` samples. */
  private materialize(more: number): void {
    const need = this.stored + this.silence + more;
    if (need > this.ring.length) this.grow(need);
    const ring = this.ring;
    const mask = this.mask;
    let w = (this.head + this.stored) & mask;
    for (let i = 0; i < this.silence; i++) {
      ring[w] = 0;
      w = (w + 1) & mask;
    }
    this.stored += this.silence;
    this.silence = 0;
  }

  private grow(need: number): void {
    let cap = this.ring.length;
    while (cap < need) cap <<= 1;
    const next = new Int16Array(cap);
    for (let i = 0; i < this.stored; i++) next[i] = this.ring[(this.head + i) & this.mask];
    this.ring = next;
    this.mask = cap - 1;
    this.head = 0;
  }
}
