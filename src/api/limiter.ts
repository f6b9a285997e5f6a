/**
 * Failed PUT /v2/api_auth attempts per key (the client address) in a sliding window: API keys
 * would otherwise be guessed at line rate. Asynchronous because several nodes share the counts
 * in Redis (src/state/redis-limiters.ts).
 */
export interface AuthFailureLimiter {
  /** True while `key` has reached the failure limit within the window. */
  blocked(key: string): Promise<boolean>;
  fail(key: string): Promise<void>;
  succeed(key: string): Promise<void>;
}

/**
 * One node's limiter: pure state with an injected clock; no timers (entries are dropped when
 * looked at or swept on insert).
 */
export class FailureLimiter implements AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    /** Bound on tracked keys, so a flood of addresses cannot grow memory without end. */
    private readonly maxKeys = 10_000,
  ) {}

  async blocked(key: string): Promise<boolean> {
    return this.recent(key).length >= this.maxFailures;
  }

  async fail(key: string): Promise<void> {
    const list = this.recent(key);
    list.push(this.now());
    this.failures.set(key, list);
    if (this.failures.size > this.maxKeys) {
      // Oldest inserted key first: Map iteration order is insertion order.
      const first = this.failures.keys().next();
      if (first.done !== true) this.failures.delete(first.value);
    }
  }

  async succeed(key: string): Promise<void> {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((ts) => ts > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}
