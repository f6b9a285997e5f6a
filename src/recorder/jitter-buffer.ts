/**
 * Per-leg jitter buffer driven only by RTP sequence numbers and timestamps (RFC 3550). It is a
 * pure processor: the caller supplies each packet's arrival position on the call's clock (in
 * samples of the RTP clock) and the horizon up to which frames may be released, so the buffer
 * never reads a clock itself and replays identically in tests.
 *
 * Samples are stored in a fixed ring (bounded memory whatever the call length) indexed by RTP
 * timestamp, so any packetisation (10, 20, 30 ms...) is re-framed into fixed frames; time no
 * packet covered is released as an explicit missing frame (samples === null). Frames go to a
 * FrameSink (the leg's aligner) through one reused buffer: nothing is allocated per packet or
 * per frame (issue 14).
 */

import { followLag, newFollower, type DelayFollower } from './follow-delay';

export interface JitterPacket {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** Decoded linear samples, one per RTP timestamp tick (true for G.711). */
  readonly samples: Int16Array;
  /** How many of `samples` (from index 0) the packet carries; default all (a reused buffer is longer). */
  readonly length?: number;
  /** Where the packet arrived on the call's clock, in RTP clock samples. */
  readonly arrival: number;
}

/** Where released frames go, in order. */
export interface FrameSink {
  /**
   * A frame of `n` samples at call-clock `pos` (RTP clock samples): `samples[0..n)`, or null when
   * no packet covered this time (lost). `samples` is reused for the next frame: copy it.
   */
  frame(pos: number, samples: Int16Array | null, n: number): void;
}

export enum PushOutcome {
  Accepted = 'accepted',
  /** Accepted as the first packet of a new segment (first packet, SSRC change, timestamp jump). */
  NewSegment = 'new-segment',
  Duplicate = 'duplicate',
  /** Arrived after its time had been released; dropped. */
  Late = 'late',
}

export interface JitterOptions {
  /** Samples per output frame (ptime * clockRate / 1000): 160 for 20 ms at 8 kHz. */
  readonly frameSamples: number;
  /** How far (samples) packets may be reordered before the oldest time is forced out. */
  readonly windowSamples: number;
  /**
   * When a packet's timestamp places it further than this from its arrival on the call's clock,
   * its timestamps are treated as a new time base (a jump, a reset, a sender restart).
   */
  readonly maxDriftSamples: number;
  /**
   * A least lag this large over a whole follow-delay.ts window moves the anchor later at once
   * (default half the window). Set it below the jitter delay: past that, packets turn late.
   */
  readonly followSamples?: number;
}

/**
 * RFC 3550 A.1 limits: a forward sequence jump larger than MAX_DROPOUT, or a backward one larger
 * than MAX_MISORDER, is a sender restart (new sequence base), not loss or reordering.
 */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/** RFC 3550 A.1 sequence arithmetic: signed distance from `from` to `to` modulo 2^16. */
function seqDelta(to: number, from: number): number {
  return ((to - from + 0x8000) & 0xffff) - 0x8000;
}

/** Packets of one sequence run never received: the holes between its lowest and highest seq. */
function runLost(s: { maxSeq: number; minSeq: number; received: number }): number {
  return Math.max(0, s.maxSeq - s.minSeq + 1 - s.received);
}

/**
 * Loss accounting (what `lost` counts): a packet is lost when the sender numbered it between two
 * packets we received from the same SSRC (so its time lies inside the recorded stream) and it
 * never arrived in time to be written. That covers holes inside a segment, holes across a
 * re-anchor of the same SSRC (timestamp jump / long stall) and late packets (counted in `late`
 * too). Not counted, because nothing tells what was sent: packets before a stream's first or
 * after its last packet, across an SSRC change, and across a sequence restart (jump beyond the
 * RFC 3550 A.1 limits) -- a restart begins a new sequence run, whatever the timestamps do.
 */
export interface JitterStats {
  received: number;
  duplicates: number;
  late: number;
  lost: number;
  segments: number;
  /** Samples of silence the anchor's later moves put into the leg (followDelay). */
  padded: number;
}

interface Segment {
  readonly ssrc: number;
  /** Extended timestamp of the segment's first packet; positions inside it are relative to it. */
  readonly baseTs: number;
  /** Call-clock position of relative timestamp 0. */
  offset: number;
  lastRawTs: number;
  lastExtTs: number;
  lastRawSeq: number;
  lastExtSeq: number;
  minSeq: number;
  maxSeq: number;
  received: number;
  /** Relative timestamp of the next frame to release. */
  nextOut: number;
  /** Relative timestamp just past the newest stored sample. */
  maxEnd: number;
  started: boolean;
  /** The anchor's follower (follow-delay.ts). */
  readonly follow: DelayFollower;
}

export class JitterBuffer {
  private readonly ring: Int16Array;
  private readonly filled: Uint8Array;
  private readonly mask: number;
  private seg: Segment | null = null;
  /** The frame handed to the sink, reused. */
  private readonly frameBuf: Int16Array;
  private closedLost = 0;
  private readonly counts = { received: 0, duplicates: 0, late: 0, segments: 0, padded: 0 };
  /** JitterOptions.followSamples with its default, read once. */
  private readonly followAt: number;

  constructor(private readonly opts: JitterOptions, private readonly sink: FrameSink) {
    this.frameBuf = new Int16Array(opts.frameSamples);
    this.followAt = opts.followSamples ?? opts.windowSamples / 2;
    let cap = 1;
    while (cap < opts.windowSamples + 4 * opts.frameSamples) cap <<= 1;
    this.ring = new Int16Array(cap);
    this.filled = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  get capacity(): number {
    return this.ring.length;
  }

  stats(): JitterStats {
    const s = this.seg;
    const segLost = s ? runLost(s) : 0;
    return { ...this.counts, lost: this.closedLost + segLost };
  }

  push(p: JitterPacket): PushOutcome {
    let seg = this.seg;
    if (seg === null || seg.ssrc !== p.ssrc) return this.openSegment(p);
    const extTs = seg.lastExtTs + ((p.timestamp - seg.lastRawTs) | 0);
    const rel = extTs - seg.baseTs;
    if (Math.abs(rel + seg.offset - p.arrival) > this.opts.maxDriftSamples) {
      // A straggler numbered just before this segment's first packet belongs to the previous
      // time base, which was drained when this segment opened: late (already a hole there),
      // not a new segment -- re-anchoring on it would also count the packets after it as lost.
      const behind = seqDelta(p.sequenceNumber, seg.minSeq & 0xffff);
      if (behind < 0 && behind >= -MAX_MISORDER) {
        this.counts.late++;
        return PushOutcome.Late;
      }
      return this.openSegment(p);
    }
    if (!seg.started && p.arrival - rel < seg.offset) {
      // Until the first frame is released the anchor follows the earliest-arriving packet
      // (least delayed), so one late first packet does not shift the whole leg.
      seg.offset = p.arrival - rel;
    } else if (seg.started) {
      this.followDelay(seg, rel, p.arrival);
    }
    const n = p.length ?? p.samples.length;
    const end = rel + n;
    if (end <= seg.nextOut && seg.started) {
      this.counts.late++;
      return PushOutcome.Late;
    }
    if (!seg.started && rel < seg.nextOut) {
      // Reordered ahead of the segment's first packet and nothing released yet: start earlier.
      if (seg.maxEnd - rel > this.ring.length) {
        this.counts.late++;
        return PushOutcome.Late;
      }
      seg.nextOut = rel;
    }
    if (rel - seg.nextOut >= this.ring.length) {
      // A gap longer than the ring (silence suppression, hold): release what is stored, then
      // continue at the new packet without materialising the gap as missing frames; the
      // aligner places the next frame by position.
      this.drainSegment(seg);
      seg.nextOut = rel;
      seg.maxEnd = rel;
    }
    while (end - seg.nextOut > this.ring.length) this.emitFrame(seg);
    let wrote = 0;
    const ring = this.ring;
    const filled = this.filled;
    const mask = this.mask;
    const samples = p.samples;
    const skip = Math.max(0, seg.nextOut - rel);
    if (rel + skip >= seg.maxEnd) {
      // In order (the usual packet): past the newest stored sample nothing is filled (filled is
      // set only inside [nextOut, maxEnd) and cleared as frames go), so no per-sample check.
      for (let i = skip; i < n; i++) ring[(rel + i) & mask] = samples[i];
      wrote = n - skip;
      const a = (rel + skip) & mask;
      const first = Math.min(wrote, ring.length - a);
      filled.fill(1, a, a + first);
      if (first < wrote) filled.fill(1, 0, wrote - first);
    } else {
      for (let i = skip; i < n; i++) {
        const idx = (rel + i) & mask;
        if (filled[idx] === 0) {
          filled[idx] = 1;
          ring[idx] = samples[i];
          wrote++;
        }
      }
    }
    if (wrote === 0) {
      this.counts.duplicates++;
      return PushOutcome.Duplicate;
    }
    this.countSeq(seg, p.sequenceNumber);
    if (extTs > seg.lastExtTs) {
      seg.lastExtTs = extTs;
      seg.lastRawTs = p.timestamp >>> 0;
    }
    if (end > seg.maxEnd) seg.maxEnd = end;
    return PushOutcome.Accepted;
  }

  /**
   * Releases to the sink every stored frame that ends at or before `horizon` (call-clock
   * samples). (Frames forced out by the window went to the sink when push() forced them.) With `finalBefore`, time before it is closed even where nothing arrived: missing
   * frames are released up to there, so a packet for that time arriving afterwards is counted
   * late (and lost) instead of being dropped unseen by the aligner, which pads the same time
   * with silence to keep the legs aligned.
   */
  pull(horizon: number, finalBefore?: number): void {
    const seg = this.seg;
    if (seg !== null) {
      const f = this.opts.frameSamples;
      while (seg.nextOut < seg.maxEnd && seg.nextOut + f + seg.offset <= horizon) this.emitFrame(seg);
      if (finalBefore !== undefined) {
        while (seg.nextOut + f + seg.offset <= finalBefore) this.emitFrame(seg);
        if (seg.maxEnd < seg.nextOut) seg.maxEnd = seg.nextOut;
      }
    }
  }

  /** Releases everything stored (end of recording). */
  flush(): void {
    if (this.seg !== null) this.drainSegment(this.seg);
  }

  private openSegment(p: JitterPacket): PushOutcome {
    const old = this.seg;
    if (old !== null) {
      this.drainSegment(old);
      this.closedLost += runLost(old);
      if (old.ssrc === p.ssrc) {
        // Same source re-anchored (timestamp jump, long stall): packets numbered between the
        // old segment's newest and this one were sent during the recorded time and never came,
        // unless the jump is a sequence restart (RFC 3550 A.1 MAX_DROPOUT).
        const delta = seqDelta(p.sequenceNumber, old.lastRawSeq);
        if (delta > 1 && delta <= MAX_DROPOUT) this.closedLost += delta - 1;
      }
    }
    this.filled.fill(0);
    const ts = p.timestamp >>> 0;
    const n = p.length ?? p.samples.length;
    const seg: Segment = {
      ssrc: p.ssrc,
      baseTs: ts,
      offset: p.arrival,
      lastRawTs: ts,
      lastExtTs: ts,
      lastRawSeq: p.sequenceNumber,
      lastExtSeq: p.sequenceNumber,
      minSeq: p.sequenceNumber,
      maxSeq: p.sequenceNumber,
      received: 1,
      nextOut: 0,
      maxEnd: Math.min(n, this.ring.length),
      started: false,
      follow: newFollower(),
    };
    for (let i = 0; i < seg.maxEnd; i++) {
      this.ring[i & this.mask] = p.samples[i];
      this.filled[i & this.mask] = 1;
    }
    this.seg = seg;
    this.counts.received++;
    this.counts.segments++;
    return PushOutcome.NewSegment;
  }

  /** followDelay (follow-delay.ts) after the first frame is out: moves the anchor when it says. */
  private followDelay(seg: Segment, rel: number, arrival: number): void {
    const move = followLag(seg.follow, rel, arrival - (rel + seg.offset), this.opts.frameSamples, this.followAt);
    if (move === 0) return;
    seg.offset += move;
    if (move > 0) this.counts.padded += move;
  }

  /** RFC 3550 A.1: extend the 16-bit sequence number by choosing the nearest value to the last one. */
  private countSeq(seg: Segment, seq: number): void {
    const delta = seqDelta(seq, seg.lastRawSeq);
    if (delta > MAX_DROPOUT || delta < -MAX_MISORDER) {
      // Sequence restart inside a segment (timing still continuous): close the old run's
      // holes and number from here; the jump itself is not loss.
      this.closedLost += runLost(seg);
      seg.lastRawSeq = seq;
      seg.lastExtSeq = seq;
      seg.minSeq = seq;
      seg.maxSeq = seq;
      seg.received = 1;
      this.counts.received++;
      return;
    }
    const ext = seg.lastExtSeq + delta;
    if (delta > 0) {
      seg.lastExtSeq = ext;
      seg.lastRawSeq = seq;
    }
    if (ext > seg.maxSeq) seg.maxSeq = ext;
    if (ext < seg.minSeq) seg.minSeq = ext;
    seg.received++;
    this.counts.received++;
  }

  private drainSegment(seg: Segment): void {
    while (seg.nextOut < seg.maxEnd) this.emitFrame(seg);
  }

  private emitFrame(seg: Segment): void {
    const f = this.opts.frameSamples;
    const out = this.frameBuf;
    const ring = this.ring;
    const filled = this.filled;
    const mask = this.mask;
    const start = seg.nextOut;
    let any = 0;
    for (let i = 0; i < f; i++) {
      const idx = (start + i) & mask;
      // A hole inside a frame is silence (0), as the aligner writes for a wholly missing frame.
      any |= filled[idx];
      out[i] = ring[idx] & -filled[idx];
      filled[idx] = 0;
    }
    this.sink.frame(start + seg.offset, any === 0 ? null : out, f);
    seg.nextOut += f;
    seg.started = true;
  }
}
