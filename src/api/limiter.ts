/**
 * Counts failures per key (the client address) in a sliding window and says when a key must
 * wait: PUT /v2/api_auth would otherwise let anyone guess API keys at line rate. Pure state with
 * an injected clock; no timers (entries are dropped when looked at or swept on insert).
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    /** Bound on tracked keys, so a flood of addresses cannot grow memory without end. */
    private readonly maxKeys = 10_000,
  ) {}

  /** True while `key` has reached maxFailures within the window. */
  blocked(key: string): boolean {
    return this.recent(key).length >= this.maxFailures;
  }

  fail(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.failures.set(key, list);
    if (this.failures.size > this.maxKeys) {
      // Oldest inserted key first: Map iteration order is insertion order.
      const first = this.failures.keys().next();
      if (first.done !== true) this.failures.delete(first.value);
    }
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((ts) => ts > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}
