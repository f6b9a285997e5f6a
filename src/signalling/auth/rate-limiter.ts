/**
 * Failed-authentication limiter keyed by (source IP, user@realm): a fixed window counter plus a
 * block period. Keying by the user as well as the address means that a guesser at one address
 * locks out only the user it guesses for, not every phone behind the same NAT; and since only
 * wrong answers over nonces we issued are counted (see sip-auth.ts), a forged or spoofed request
 * counts nothing at all.
 *
 * Pure over the clock (`nowMs` is passed in). Memory is bounded twice: at most
 * `maxKeysPerSource` users are tracked per address and at most `maxEntries` keys in all
 * (least recently touched first out). Within an address, entries that are not blocked are
 * evicted first; an address whose every tracked user is blocked is itself blocked for new users
 * (a guesser cannot unblock a user by cycling through others).
 */

/**
 * What the SIP authenticator asks of a limiter. Asynchronous because several nodes share the
 * counts in Redis (src/state/redis-limiters.ts), with the same semantics as FailedAuthLimiter.
 */
export interface SipFailureLimiter {
  /** True while `subject` (user@realm) is blocked from `source`: refuse without a challenge. */
  isBlocked(source: string, subject: string, nowMs: number): Promise<boolean>;
  /** Counts one failure; true when this failure (or an earlier one) blocks the key. */
  recordFailure(source: string, subject: string, nowMs: number): Promise<boolean>;
  /** A correct authentication clears the key's failures (an active block is never reached: checked first). */
  recordSuccess(source: string, subject: string, nowMs: number): Promise<void>;
}

export interface RateLimiterOptions {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  /** Distinct users tracked per source address. */
  maxKeysPerSource: number;
  /** Keys tracked in all. */
  maxEntries: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

export class FailedAuthLimiter implements SipFailureLimiter {
  /** source -> (user@realm -> entry); both levels in least-recently-touched-first order. */
  private readonly sources = new Map<string, Map<string, Entry>>();
  private total = 0;

  constructor(private readonly o: RateLimiterOptions) {}

  async isBlocked(source: string, subject: string, nowMs: number): Promise<boolean> {
    const keys = this.sources.get(source);
    if (!keys) return false;
    const e = keys.get(subject.toLowerCase());
    if (e) return e.blockedUntil > nowMs;
    return this.saturated(keys, nowMs);
  }

  async recordFailure(source: string, subject: string, nowMs: number): Promise<boolean> {
    const key = subject.toLowerCase();
    let keys = this.sources.get(source);
    if (keys) this.sources.delete(source);
    keys ??= new Map<string, Entry>();
    this.sources.set(source, keys);
    let e = keys.get(key);
    if (e) {
      keys.delete(key);
    } else {
      if (keys.size >= this.o.maxKeysPerSource && !this.evictOneOf(keys, nowMs)) return true;
      this.total++;
    }
    if (!e || nowMs - e.windowStart >= this.o.windowMs) {
      e = { windowStart: nowMs, failures: 0, blockedUntil: e?.blockedUntil ?? 0 };
    }
    e.failures += 1;
    if (e.failures >= this.o.maxFailures) e.blockedUntil = Math.max(e.blockedUntil, nowMs + this.o.blockMs);
    keys.set(key, e);
    this.trimTotal();
    return e.blockedUntil > nowMs;
  }

  async recordSuccess(source: string, subject: string, nowMs: number): Promise<void> {
    const keys = this.sources.get(source);
    const key = subject.toLowerCase();
    const e = keys?.get(key);
    if (!keys || !e || e.blockedUntil > nowMs) return;
    keys.delete(key);
    this.total--;
    if (keys.size === 0) this.sources.delete(source);
  }

  /** Keys tracked in all. */
  get size(): number {
    return this.total;
  }

  /** Keys tracked for one source address. */
  sizeOf(source: string): number {
    return this.sources.get(source)?.size ?? 0;
  }

  /** Full, and every tracked user blocked: the address is refused for new users too. */
  private saturated(keys: Map<string, Entry>, nowMs: number): boolean {
    if (keys.size < this.o.maxKeysPerSource) return false;
    for (const e of keys.values()) if (e.blockedUntil <= nowMs) return false;
    return true;
  }

  /** Drops the least recently touched unblocked entry of a source; false when all are blocked. */
  private evictOneOf(keys: Map<string, Entry>, nowMs: number): boolean {
    for (const [k, e] of keys) {
      if (e.blockedUntil > nowMs) continue;
      keys.delete(k);
      this.total--;
      return true;
    }
    return false;
  }

  /** Beyond maxEntries, the least recently touched source loses its oldest key. */
  private trimTotal(): void {
    while (this.total > this.o.maxEntries) {
      const first = this.sources.entries().next().value;
      if (!first) return;
      const [source, keys] = first;
      const oldest = keys.keys().next().value;
      if (oldest !== undefined) {
        keys.delete(oldest);
        this.total--;
      }
      if (keys.size === 0) this.sources.delete(source);
    }
  }
}
