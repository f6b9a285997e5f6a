/**
 * Overload guard of the recorder (pure: its inputs are lateness reports and times). A recorder
 * thread whose event loop is late by more than the jitter delay loses RTP from every recording it
 * holds (the jitter buffer writes the time as silence), so the node must stop taking new calls
 * before that: the service answers new INVITEs and OPTIONS probes 503 with Retry-After while the
 * guard is raised (RFC 3261 21.5.4), and an edge proxy sends the calls to another node.
 *
 * Raised at once by one report of `lagMs` or more; lowered only after `clearSec` seconds in which
 * every report stayed under half of it, so a node at its edge does not flap between the two.
 */
export interface OverloadSettings {
  /** Lateness (ms) of a recorder thread's run that raises the guard; 0 = never raised. */
  readonly lagMs: number;
  /** Seconds of reports under lagMs / 2 before it is lowered. */
  readonly clearSec: number;
}

export type OverloadChange = 'raised' | 'lowered' | null;

export class OverloadGuard {
  private raisedValue = false;
  /** Since when every report stayed under half the threshold, while raised. */
  private calmSince: number | null = null;
  /** The worst lateness reported while the guard was last raised (for the log line that lowers it). */
  private worstMs = 0;

  constructor(private readonly s: OverloadSettings) {}

  get raised(): boolean {
    return this.raisedValue;
  }

  get worstLateMs(): number {
    return this.worstMs;
  }

  /** One report: `lateMs` the most a run was late since the reporter's last one, at `nowMs`. */
  observe(lateMs: number, nowMs: number): OverloadChange {
    if (this.s.lagMs <= 0) return null;
    if (lateMs >= this.s.lagMs) {
      this.calmSince = null;
      if (this.raisedValue) {
        this.worstMs = Math.max(this.worstMs, lateMs);
        return null;
      }
      this.worstMs = lateMs;
      this.raisedValue = true;
      return 'raised';
    }
    if (!this.raisedValue) return null;
    if (lateMs >= this.s.lagMs / 2) {
      this.calmSince = null;
      return null;
    }
    this.calmSince ??= nowMs;
    if (nowMs - this.calmSince < this.s.clearSec * 1000) return null;
    this.raisedValue = false;
    this.calmSince = null;
    return 'lowered';
  }
}

/** Lateness reports go to the guard every this many ms (a recorder thread's own timer). */
export const LATE_REPORT_MS = 500;

/** One report into `guard`, with the line an operator needs when the guard moves. */
export function noteLateness(guard: OverloadGuard, lateMs: number, nowMs: number, log: { warn(o: object, m: string): void; info(o: object, m: string): void }): void {
  const change = guard.observe(lateMs, nowMs);
  if (change === 'raised') log.warn({ lateMs: Math.round(lateMs) }, 'recorder overloaded: a recorder thread ran late; new calls get 503 until it keeps time again');
  else if (change === 'lowered') log.info({ worstLateMs: Math.round(guard.worstLateMs) }, 'recorder keeps time again: taking new calls');
}
