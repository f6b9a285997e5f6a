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
   * A least delay this large over a whole followDelay() window moves the anchor later at once
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
  /** followDelay(): where its current window began (relative timestamp), null before the first. */
  lagFrom: number | null;
  /** The least delay (arrival minus place on the call's clock) of a packet in that window. */
  lagMin: number;
  /** The previous window's least delay (null before the first window closed). */
  lastLeast: number | null;
  /** Whole windows in a row FOLLOW_MIN_FRAMES late, or as early beyond earlyFloor (see followDelay). */
  laterRun: number;
  earlierRun: number;
  /** How early (<= 0) the leg may run without the anchor moving earlier: what queues drained. */
  earlyFloor: number;
}

/**
 * followDelay() windows: FOLLOW_WINDOW_FRAMES frames of the sender's time (1 s at 20 ms). The
 * anchor moves once the leg has run FOLLOW_MIN_FRAMES late, or early, for FOLLOW_RUN_WINDOWS
 * windows in a row (a clock); a window whose least delay drops by a frame or more is a queue
 * draining, not a clock.
 */
const FOLLOW_WINDOW_FRAMES = 50;
const FOLLOW_MIN_FRAMES = 4;
const FOLLOW_RUN_WINDOWS = 30;

export class JitterBuffer {
  private readonly ring: Int16Array;
  private readonly filled: Uint8Array;
  private readonly mask: number;
  private seg: Segment | null = null;
  /** The frame handed to the sink, reused. */
  private readonly frameBuf: Int16Array;
  private closedLost = 0;
  private readonly counts = { received: 0, duplicates: 0, late: 0, segments: 0, padded: 0 };

  constructor(private readonly opts: JitterOptions, private readonly sink: FrameSink) {
    this.frameBuf = new Int16Array(opts.frameSamples);
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
      lagFrom: null,
      lagMin: 0,
      lastLeast: null,
      laterRun: 0,
      earlierRun: 0,
      earlyFloor: 0,
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

  /**
   * Keeps the anchor on the least-delayed packets after the first frame is out. The anchor
   * makes the packet that set it arrive "on time" (delay 0), and a packet is late once its delay
   * passes the jitter window. Two things move every packet's delay together, for good: a sender
   * whose clock runs slow against ours (RFC 3550 6.4.1's clock skew: a phone 100 ppm slow falls
   * 0.5 s behind in 83 minutes, a sound card 0.1% slow in 8) and a path whose delay grows and
   * stays (a standing queue in an overloaded relay). Left fixed, the anchor then turns every
   * later packet late until the drift re-anchors (maxDriftSamples), so hours of a long call, or
   * the rest of a call behind a standing queue, were dropped as late (bench:recordings at 300
   * calls: a call whose legs rtpengine forwarded 0.5-2 s behind lost its last 15 s).
   * So the least-delayed packet of each whole window (FOLLOW_WINDOW_FRAMES) is watched:
   * - Later at once: once it is `followSamples` late (default half the window), by that much,
   *   before packets turn late (a standing queue). The leg gets that much silence.
   * - Later, a clock: FOLLOW_MIN_FRAMES (80 ms) or more late for FOLLOW_RUN_WINDOWS (30 s) in
   *   a row, by the last window's: a slow sender's deficit, in steps of about 80 ms, so the leg
   *   keeps to the call's clock within about that.
   * - A delay shorter-lived or smaller is left to the jitter window: following every frame of
   *   it put 20-80 ms of silence, then trims, into the middle of speech (bench:recordings at
   *   250 calls: 266 gaps in 10 decoded files, no packet lost).
   * - A window whose least delay is a frame or more below the last one's is a queue draining
   *   (a clock drifts far slower): the leg stays that much later, whole; the drop lowers
   *   `earlyFloor`, which rises again with the delay (never above 0).
   * - Earlier, a clock: FOLLOW_MIN_FRAMES early beyond that floor for FOLLOW_RUN_WINDOWS in a
   *   row (a fast sender), by that much; the aligner trims it, the sender's surplus samples.
   */
  private followDelay(seg: Segment, rel: number, arrival: number): void {
    const lag = arrival - (rel + seg.offset);
    if (seg.lagFrom === null) {
      seg.lagFrom = rel;
      seg.lagMin = lag;
      return;
    }
    if (lag < seg.lagMin) seg.lagMin = lag;
    const f = this.opts.frameSamples;
    if (rel - seg.lagFrom < FOLLOW_WINDOW_FRAMES * f) return;
    seg.lagFrom = null;
    const least = seg.lagMin;
    const drop = seg.lastLeast === null ? 0 : least - seg.lastLeast;
    seg.lastLeast = least;
    if (drop <= -f) seg.earlyFloor = Math.min(0, seg.earlyFloor + drop);
    else if (least > seg.earlyFloor) seg.earlyFloor = Math.min(0, least);
    const early = least - seg.earlyFloor;
    seg.laterRun = least >= FOLLOW_MIN_FRAMES * f ? seg.laterRun + 1 : 0;
    seg.earlierRun = early <= -FOLLOW_MIN_FRAMES * f ? seg.earlierRun + 1 : 0;
    let move = 0;
    if (least >= (this.opts.followSamples ?? this.opts.windowSamples / 2) || seg.laterRun >= FOLLOW_RUN_WINDOWS) move = least;
    else if (seg.earlierRun >= FOLLOW_RUN_WINDOWS) move = early;
    if (move === 0) return;
    seg.offset += move;
    seg.lastLeast -= move;
    seg.laterRun = 0;
    seg.earlierRun = 0;
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
