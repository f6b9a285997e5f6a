/** Something driven periodically by the shared ticker. */
export interface Tickable {
  /** startedAt: performance.now() when this run began, before its sources read anything. */
  tick(startedAt: number): void;
}

/**
 * The shared ticker's period. 100 ms: each run moves every session's released audio towards
 * its encoders, and nothing downstream needs it sooner (a recorder has no playout deadline),
 * while much of a run's cost is per run: one recvmmsg per socket, the sessions' pulls and
 * releases. 50 -> 100 ms cut the recorder threads' CPU per call by about a tenth
 * (bench:recordings, 200 calls, 0.10% -> 0.08-0.09%). 100 -> 200 ms was measured and not taken
 * (bench/recorder/pipeline's 16 kHz stereo run, 200 calls, eight pairs alternated, 2026-12-06):
 * 0.065% against 0.070% per call on average, lower in only five of the eight pairs, the runs
 * varying 0.058-0.075% either way, and the loop lag p99 5-8 ms higher. Jitter buffers hold the
 * period on top of the jitter delay (session.ts).
 */
export const TICK_MS = 100;

/**
 * One interval shared by every recording session instead of a timer per call; it runs only
 * while sessions exist and does not keep the process alive by itself (period: TICK_MS).
 * Sources (the batched UDP receiver) run first in each run: the datagrams queued until the run
 * began reach the sessions before any session releases their time. Members release only up to
 * the run's start: what arrived while a long drain ran is read by the next run, still in time.
 */
export class Ticker {
  private readonly sources = new Set<Tickable>();
  private readonly members = new Set<Tickable>();
  private timer: NodeJS.Timeout | null = null;
  /** When the last run began (null while stopped), and the most any run was late since takeLateMs. */
  private lastRunAt: number | null = null;
  private lateMs = 0;

  constructor(private readonly periodMs = TICK_MS) {}

  /**
   * The most a run began after its time since the last call (ms): how long this thread's event
   * loop kept the sessions from reading their sockets, which the jitter delay must outlast.
   */
  takeLateMs(): number {
    const late = this.lateMs;
    this.lateMs = 0;
    return late;
  }

  add(t: Tickable, role: 'source' | 'member' = 'member'): void {
    (role === 'source' ? this.sources : this.members).add(t);
    if (this.timer === null) {
      // Members run in the check phase (setImmediate), i.e. after the poll phase of the same
      // loop iteration: when the event loop was stalled (GC, CPU contention), the RTP datagrams
      // node:dgram queued meanwhile are read first, instead of their time being released as lost.
      this.timer = setInterval(() => setImmediate(() => this.run()), this.periodMs);
      this.timer.unref();
    }
  }

  private run(): void {
    const startedAt = performance.now();
    if (this.lastRunAt !== null) this.lateMs = Math.max(this.lateMs, startedAt - this.lastRunAt - this.periodMs);
    this.lastRunAt = startedAt;
    for (const s of this.sources) s.tick(startedAt);
    for (const m of this.members) m.tick(startedAt);
  }

  delete(t: Tickable): void {
    this.sources.delete(t);
    this.members.delete(t);
    if (this.members.size === 0 && this.sources.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.lastRunAt = null;
    }
  }
}

export const sharedTicker = new Ticker();

/**
 * Every `everyMs`, `report` gets the most a run of `ticker` was late since the last report (0
 * while no session is open: a stall then, at start for instance, costs no recording anything).
 * Does not keep the process alive; the returned function stops it.
 */
export function reportLateness(ticker: Ticker, everyMs: number, report: (lateMs: number) => void): () => void {
  const timer = setInterval(() => report(ticker.takeLateMs()), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
