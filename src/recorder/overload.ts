/**
 * Overload guard of the recorder (pure: its inputs are load reports and times). Two signs that
 * the machine is out of CPU for more calls, each from a recorder thread every LOAD_REPORT_MS:
 *  - lateness: how late the thread's runs started (ticker.ts). With node:dgram a datagram read
 *    after its time is lost; with batched receive it waits in its socket, but past the machine's
 *    ceiling the lateness turned into stalls of seconds that cost every recording packets;
 *  - encoder backlog: the most audio any of the thread's recordings has waiting for its lame.
 *    lame runs under SCHED_IDLE or niced (recorder.encoderNice), so it is the first to starve when CPU runs out; its
 *    backlog is held in memory (in the collapses bench:recordings saw, the recorder thread's live
 *    heap was 226-525 KiB per recording, against 158-188 KiB in the runs that held).
 * While the guard is raised the service answers new INVITEs and OPTIONS probes 503 with
 * Retry-After (RFC 3261 21.5.4), and an edge proxy sends the calls to another node.
 *
 * Raised at once by one report at or over either threshold; lowered only after `clearSec`
 * seconds in which every report stayed under half of both, so a node at its edge does not flap.
 */
export interface OverloadSettings {
  /** Lateness (ms) of a recorder thread's run that raises the guard; 0 = not watched. */
  readonly lagMs: number;
  /** Audio (ms) waiting for one recording's encoder that raises the guard; 0 = not watched. */
  readonly backlogMs: number;
  /** Seconds of reports under half of both before it is lowered. */
  readonly clearSec: number;
}

/** One recorder thread's report: the most its runs were late and the largest encoder backlog. */
export interface LoadReport {
  readonly lateMs: number;
  readonly backlogMs: number;
}

export type OverloadChange = 'raised' | 'lowered' | null;

export class OverloadGuard {
  private raisedValue = false;
  /** Since when every report stayed under half the thresholds, while raised. */
  private calmSince: number | null = null;
  /** The worst report while the guard was last raised (for the line that lowers it). */
  private worst: LoadReport = { lateMs: 0, backlogMs: 0 };

  constructor(private readonly s: OverloadSettings) {}

  get raised(): boolean {
    return this.raisedValue;
  }

  get worstReport(): LoadReport {
    return this.worst;
  }

  /** One report at `nowMs`. */
  observe(r: LoadReport, nowMs: number): OverloadChange {
    const level = Math.max(this.share(r.lateMs, this.s.lagMs), this.share(r.backlogMs, this.s.backlogMs));
    if (level >= 1) {
      this.calmSince = null;
      if (this.raisedValue) {
        this.worst = { lateMs: Math.max(this.worst.lateMs, r.lateMs), backlogMs: Math.max(this.worst.backlogMs, r.backlogMs) };
        return null;
      }
      this.worst = r;
      this.raisedValue = true;
      return 'raised';
    }
    if (!this.raisedValue) return null;
    if (level >= 0.5) {
      this.calmSince = null;
      return null;
    }
    this.calmSince ??= nowMs;
    if (nowMs - this.calmSince < this.s.clearSec * 1000) return null;
    this.raisedValue = false;
    this.calmSince = null;
    return 'lowered';
  }

  /** A value as a share of its threshold (0 for a sign not watched). */
  private share(value: number, threshold: number): number {
    return threshold > 0 ? value / threshold : 0;
  }
}

/** Load reports reach the guard every this many ms (each recorder thread's own timer). */
export const LOAD_REPORT_MS = 500;

/** One report into `guard`, with the line an operator needs when the guard moves. */
export function noteLoad(guard: OverloadGuard, r: LoadReport, nowMs: number, log: { warn(o: object, m: string): void; info(o: object, m: string): void }): void {
  const change = guard.observe(r, nowMs);
  const round = (x: LoadReport): LoadReport => ({ lateMs: Math.round(x.lateMs), backlogMs: Math.round(x.backlogMs) });
  if (change === 'raised') log.warn(round(r), 'recorder overloaded: a recorder thread ran late or an encoder fell behind; new calls get 503 until they keep up again');
  else if (change === 'lowered') log.info({ worst: round(guard.worstReport) }, 'recorder keeps up again: taking new calls');
}
