import type { Binding } from './bindings';

/** AORs that lost bindings to expiry in a sweep, with what each has left. */
export type ExpiredBindings = { aor: string; remaining: Binding[] }[];

/**
 * Where registrations live. SQLite on one node (sqlite-binding-store.ts, the service's
 * default: they survive a restart); in memory for tests; a Redis implementation can replace it
 * for several nodes (hence asynchronous). `update` must be atomic per AOR: two REGISTERs for one
 * AOR must not both read the old bindings and lose one of the writes.
 */
export interface BindingStore {
  /** Live bindings of the AOR, in write order. */
  get(aor: string, nowMs: number): Promise<Binding[]>;
  /**
   * Runs `fn` on the AOR's live bindings and stores what it returns (an empty array deletes
   * the AOR), atomically for that AOR. Returns fn's result.
   */
  update<R>(aor: string, nowMs: number, fn: (current: Binding[]) => { bindings: Binding[] | null; result: R }): Promise<R>;
  /** Live bindings of every AOR of an account. */
  listByAccount(accountId: string, nowMs: number): Promise<Binding[]>;
  /** Live bindings of one device (a device has one AOR, but several contacts). */
  listByDevice(deviceId: string, nowMs: number): Promise<Binding[]>;
  count(nowMs: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * In-memory store (forgotten on restart; units and tests). Expired bindings are invisible at once (every read filters by time) and
 * swept from memory every `sweepMs`.
 */
export class MemoryBindingStore implements BindingStore {
  private readonly byAor = new Map<string, Binding[]>();
  private readonly sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    sweepMs = 30_000,
    private readonly clock: () => number = Date.now,
    /** Told which AORs lost bindings to expiry in a sweep (keeps a registrations gauge true). */
    private readonly onExpired?: (changes: ExpiredBindings) => void,
  ) {
    if (sweepMs > 0) {
      this.sweeper = setInterval(() => this.sweep(this.clock()), sweepMs);
      this.sweeper.unref();
    }
  }

  async get(aor: string, nowMs: number): Promise<Binding[]> {
    return (this.byAor.get(aor) ?? []).filter((b) => b.expiresAt > nowMs);
  }

  async update<R>(aor: string, nowMs: number, fn: (current: Binding[]) => { bindings: Binding[] | null; result: R }): Promise<R> {
    // Synchronous read-modify-write: nothing else runs on this event loop in between.
    const current = (this.byAor.get(aor) ?? []).filter((b) => b.expiresAt > nowMs);
    const { bindings, result } = fn(current);
    if (bindings !== null) {
      if (bindings.length === 0) this.byAor.delete(aor);
      else this.byAor.set(aor, bindings);
    }
    return result;
  }

  async listByAccount(accountId: string, nowMs: number): Promise<Binding[]> {
    return this.all(nowMs).filter((b) => b.accountId === accountId);
  }

  async listByDevice(deviceId: string, nowMs: number): Promise<Binding[]> {
    return this.all(nowMs).filter((b) => b.deviceId === deviceId);
  }

  async count(nowMs: number): Promise<number> {
    return this.all(nowMs).length;
  }

  /** Drops expired bindings from memory. */
  sweep(nowMs: number): number {
    let removed = 0;
    const changes: ExpiredBindings = [];
    for (const [aor, list] of this.byAor) {
      const live = list.filter((b) => b.expiresAt > nowMs);
      if (live.length === list.length) continue;
      removed += list.length - live.length;
      changes.push({ aor, remaining: live });
      if (live.length === 0) this.byAor.delete(aor);
      else this.byAor.set(aor, live);
    }
    if (changes.length > 0) this.onExpired?.(changes);
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.byAor.clear();
  }

  private all(nowMs: number): Binding[] {
    return [...this.byAor.values()].flat().filter((b) => b.expiresAt > nowMs);
  }
}
