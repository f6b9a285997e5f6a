import type { FrameSink } from './jitter-buffer';

/**
 * Turns one leg's released frames into a continuous PCM stream on the call's clock: silence for
 * time no frame covered (before the leg started, lost packets, hold, gaps between segments) and
 * trimming where a new segment overlaps time already produced. Because every leg is filled to
 * the same clock position, all legs of a call stay sample-aligned. Pure: positions come in with
 * the frames and with fillTo().
 *
 * Samples live in one buffer that grows to what is queued between two reads (the session reads
 * every tick, so a few hundred milliseconds) and is then reused: no allocation per frame or read
 * (issue 14); one grown past KEEP_SAMPLES by a stall goes back to its first size once emptied.
 * Frames are copied in with memcpy (set) and the start is compacted when reached. Silence at the
 * end is a count until audio follows it, so a long silent stretch (a leg not yet started,
 * padding after a stalled loop) costs no memory.
 */
/** The buffer's size to start with, and to go back to (256 ms at 8 kHz: a few ticks' reads). */
const INITIAL_SAMPLES = 2048;
/**
 * Past this (2 s at 8 kHz), a buffer emptied by a read goes back to INITIAL_SAMPLES: a stall of
 * seconds queues that much once, and kept for the rest of the call it was memory every session
 * of the thread held at once (about 1.1 MiB per recording after 3-6 s stalls in
 * bench:recordings at 300 calls, against 221 KiB in runs without them).
 */
const KEEP_SAMPLES = 16384;

export class LegAligner implements FrameSink {
  /** Queued samples are buf[start .. start + stored); compacted to the front when the end is reached. */
  private buf = new Int16Array(INITIAL_SAMPLES);
  private start = 0;
  private stored = 0;
  /** Silence queued after the stored samples, not written to buf yet. */
  private silence = 0;
  private readPos: number;
  private endPos: number;
  /**
   * Samples dropped because a frame overlapped time already produced: a fast sender clock's
   * surplus (the jitter buffer's anchor moved earlier), or a new segment placed over the last.
   */
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

  /** Samples the buffer holds room for (tests: memory after a stall). */
  get capacity(): number {
    return this.buf.length;
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
    const w = this.materialize(len);
    const buf = this.buf;
    if (skip === 0 && samples.length === n) buf.set(samples, w);
    else for (let i = 0; i < len; i++) buf[w + i] = samples[skip + i];
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
      this.start = 0;
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
    const fromBuf = Math.min(n, this.stored);
    if (out !== null) {
      if (fromBuf > 0) out.set(this.buf.subarray(this.start, this.start + fromBuf), offset);
      if (n > fromBuf) out.fill(0, offset + fromBuf, offset + n);
    }
    this.stored -= fromBuf;
    this.start = this.stored === 0 ? 0 : this.start + fromBuf;
    if (this.stored === 0 && this.buf.length > KEEP_SAMPLES) this.buf = new Int16Array(INITIAL_SAMPLES);
    this.silence -= n - fromBuf;
    this.readPos += n;
  }

  /**
   * Writes the queued silence into buf (audio follows it), making room for `more` samples after
   * it; returns where they go.
   */
  private materialize(more: number): number {
    const need = this.stored + this.silence + more;
    if (this.start + need > this.buf.length) {
      if (need > this.buf.length) {
        let cap = this.buf.length;
        while (cap < need) cap <<= 1;
        const next = new Int16Array(cap);
        next.set(this.buf.subarray(this.start, this.start + this.stored));
        this.buf = next;
      } else {
        this.buf.copyWithin(0, this.start, this.start + this.stored);
      }
      this.start = 0;
    }
    const end = this.start + this.stored;
    if (this.silence > 0) this.buf.fill(0, end, end + this.silence);
    this.stored += this.silence;
    this.silence = 0;
    return this.start + this.stored;
  }
}
