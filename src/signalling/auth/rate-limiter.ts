/**
 * Failed-authentication limiter per source IP: a fixed window counter plus a block period.
 * Pure over the clock (`nowMs` is passed in). Memory is bounded: at most `maxSources` entries,
 * the least recently touched evicted first, so a scan from many addresses cannot grow it.
 */

export interface RateLimiterOptions {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  maxSources: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

export class FailedAuthLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly o: RateLimiterOptions) {}

  /** True while `source` is blocked: refuse without a challenge. */
  isBlocked(source: string, nowMs: number): boolean {
    const e = this.entries.get(source);
    return e !== undefined && e.blockedUntil > nowMs;
  }

  /** Counts one failure; returns true when this failure (or an earlier one) blocks the source. */
  recordFailure(source: string, nowMs: number): boolean {
    let e = this.entries.get(source);
    if (e) this.entries.delete(source);
    if (!e || nowMs - e.windowStart >= this.o.windowMs) {
      e = { windowStart: nowMs, failures: 0, blockedUntil: e?.blockedUntil ?? 0 };
    }
    e.failures += 1;
    if (e.failures >= this.o.maxFailures) e.blockedUntil = Math.max(e.blockedUntil, nowMs + this.o.blockMs);
    this.entries.set(source, e);
    while (this.entries.size > this.o.maxSources) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return e.blockedUntil > nowMs;
  }

  /** A success clears the source's failures (but not an active block). */
  recordSuccess(source: string, nowMs: number): void {
    const e = this.entries.get(source);
    if (!e) return;
    if (e.blockedUntil > nowMs) return;
    this.entries.delete(source);
  }

  get size(): number {
    return this.entries.size;
  }
}
