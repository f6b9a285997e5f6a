/**
 * When a leg's jitter-buffer anchor follows a delay every packet shares. Pure: lags come in as
 * samples of the RTP clock, the answer is how far the anchor moves.
 *
 * The anchor makes the packet that set it arrive "on time" (lag 0), and a packet is late once
 * its lag passes the jitter delay. Two things move every packet's lag together, for good: a
 * sender whose clock runs slow against ours (RFC 3550 6.4.1's clock skew: a phone 100 ppm slow
 * falls 0.5 s behind in 83 minutes, a sound card 0.1% slow in 8) and a path whose delay grows
 * and stays (a standing queue in an overloaded relay). Left fixed, the anchor then turns every
 * later packet late until the drift re-anchors, so hours of a long call, or the rest of a call
 * behind a standing queue, were dropped as late (bench:recordings at 300 calls: a call whose
 * legs rtpengine forwarded 0.5-2 s behind lost its last 15 s).
 *
 * So the least-lagged packet of each whole window (WINDOW_FRAMES of the sender's time) is
 * watched:
 * - Later at once: once it is `followSamples` late, by that much, before packets turn late (a
 *   standing queue). The leg gets that much silence.
 * - Later, a clock: MIN_FRAMES (80 ms) or more late for RUN_WINDOWS (30 s) in a row, by the
 *   last window's: a slow sender's deficit in steps of about 80 ms, so the leg keeps to the
 *   call's clock within about that.
 * - A delay shorter-lived or smaller is left to the jitter window: following every frame of it
 *   put 20-80 ms of silence, then trims, into the middle of speech (bench:recordings at 250
 *   calls: 266 gaps in 10 decoded files, no packet lost).
 * - A window whose least lag is a frame or more below the last one's is a queue draining (a
 *   clock drifts far slower): the leg stays that much later, whole; the drop lowers
 *   `earlyFloor`, which rises again with the delay (never above 0).
 * - Earlier, a clock: MIN_FRAMES early beyond that floor for RUN_WINDOWS in a row (a fast
 *   sender), by that much; the aligner trims it, the sender's surplus samples.
 */

/** One window: 50 frames, 1 s of the sender's time at 20 ms. */
const WINDOW_FRAMES = 50;
/** A clock is followed once it is this far off (4 frames, 80 ms)... */
const MIN_FRAMES = 4;
/** ...for this many windows in a row (30 s). */
const RUN_WINDOWS = 30;

export interface DelayFollower {
  /** Where the current window began (relative timestamp), null before the first packet. */
  lagFrom: number | null;
  /** The least lag (arrival minus place on the call's clock) of a packet in that window. */
  lagMin: number;
  /** The previous window's least lag (null before the first window closed). */
  lastLeast: number | null;
  /** Whole windows in a row MIN_FRAMES late, or as early beyond earlyFloor. */
  laterRun: number;
  earlierRun: number;
  /** How early (<= 0) the leg may run without the anchor moving earlier: what queues drained. */
  earlyFloor: number;
}

export function newFollower(): DelayFollower {
  return { lagFrom: null, lagMin: 0, lastLeast: null, laterRun: 0, earlierRun: 0, earlyFloor: 0 };
}

/**
 * One packet at relative timestamp `rel` with lag `lag` (samples). Returns how far the anchor
 * moves (later > 0, earlier < 0), 0 for not; `s` already counts the move as made.
 */
export function followLag(s: DelayFollower, rel: number, lag: number, frame: number, followSamples: number): number {
  if (s.lagFrom === null) {
    s.lagFrom = rel;
    s.lagMin = lag;
    return 0;
  }
  if (lag < s.lagMin) s.lagMin = lag;
  if (rel - s.lagFrom < WINDOW_FRAMES * frame) return 0;
  s.lagFrom = null;
  const least = s.lagMin;
  const drop = s.lastLeast === null ? 0 : least - s.lastLeast;
  s.lastLeast = least;
  if (drop <= -frame) s.earlyFloor = Math.min(0, s.earlyFloor + drop);
  else if (least > s.earlyFloor) s.earlyFloor = Math.min(0, least);
  const early = least - s.earlyFloor;
  s.laterRun = least >= MIN_FRAMES * frame ? s.laterRun + 1 : 0;
  s.earlierRun = early <= -MIN_FRAMES * frame ? s.earlierRun + 1 : 0;
  let move = 0;
  if (least >= followSamples || s.laterRun >= RUN_WINDOWS) move = least;
  else if (s.earlierRun >= RUN_WINDOWS) move = early;
  if (move !== 0) {
    s.lastLeast = least - move;
    s.laterRun = 0;
    s.earlierRun = 0;
  }
  return move;
}
