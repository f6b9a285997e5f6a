import type { BindingStore, ExpiredBindings } from '../signalling/registrar/binding-store';
import type { Binding } from '../signalling/registrar/bindings';
import { StateContendedError } from './errors';
import type { RedisState } from './redis';

/**
 * Registrations in Redis, shared by every node. Per AOR one key holds the bindings as a JSON
 * array in write order and expires (PEXPIRE) with the last of them, so Redis forgets an AOR
 * whose phones stopped refreshing (RFC 3261 10.3: a binding lives until its expiry). An update
 * is optimistic: read, plan, then a Lua script writes only if the key still holds what was
 * read, else the update runs again on the new value (atomic per AOR across nodes); within one
 * node the updates of an AOR are queued, so they never contend with each other. Indexes:
 * a set of AORs per account and per device (expiring with their longest binding, stale members
 * dropped when read) and one sorted set of every binding by expiry (count, sweep). Times are
 * the caller's `nowMs`, TTLs are relative to it. The count per AOR is bounded by the registrar
 * (planRegister keeps at most `maxContactsPerAor`); `maxBindingsPerAor` is a last guard here.
 */

/** KEYS: aor key, expiry zset, index sets... ARGV: expected, next ('' deletes), ttl ms, aor, old count, then one score per new binding. */
const WRITE = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
local aor, oldCount, ttl = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[3])
for i = 0, oldCount - 1 do redis.call('ZREM', KEYS[2], aor .. '\\n' .. i) end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
for i = 6, #ARGV do redis.call('ZADD', KEYS[2], ARGV[i], aor .. '\\n' .. (i - 6)) end
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], aor)
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`;

/** KEYS: index set. ARGV: AOR key prefix, members: drops members whose AOR key is gone (checked here, not racing a write). */
const PRUNE = `
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then redis.call('SREM', KEYS[1], ARGV[i]) end
end
return 0
`;

export interface RedisBindingStoreOptions {
  sweepMs?: number;
  clock?: () => number;
  /** Told which AORs lost bindings to expiry in a sweep (keeps a registrations gauge true). */
  onExpired?: (changes: ExpiredBindings) => void;
  maxBindingsPerAor?: number;
  /** Optimistic retries of one update before StateContendedError. */
  maxAttempts?: number;
}

export class RedisBindingStore implements BindingStore {
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly clock: () => number;
  private closed = false;
  /** Per AOR, the end of this node's last queued update. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly s: RedisState, private readonly o: RedisBindingStoreOptions = {}) {
    this.clock = o.clock ?? Date.now;
    const sweepMs = o.sweepMs ?? 30_000;
    if (sweepMs > 0) {
      this.sweeper = setInterval(() => { this.sweep(this.clock()).catch(() => undefined); }, sweepMs);
      this.sweeper.unref();
    }
  }

  async get(aor: string, nowMs: number): Promise<Binding[]> {
    const raw = await this.s.run('registrations get', (r) => r.get(this.aorKey(aor)));
    return live(parse(raw), nowMs);
  }

  /**
   * Updates of one AOR from this node run one after the other: only other nodes' writes can
   * then make an optimistic write fail. Run all at once, N REGISTERs of one AOR in flight on
   * one node read the same value and all but one retry, N times over: at 100 REGISTERs/s on
   * one AOR (bench:cluster) updates ran out of attempts and were answered 500.
   */
  update<R>(aor: string, nowMs: number, fn: (current: Binding[]) => { bindings: Binding[] | null; result: R }): Promise<R> {
    const run = (this.queues.get(aor) ?? Promise.resolve()).then(() => this.write(aor, nowMs, fn));
    const tail = run.then(() => undefined, () => undefined);
    this.queues.set(aor, tail);
    void tail.then(() => { if (this.queues.get(aor) === tail) this.queues.delete(aor); });
    return run;
  }

  private async write<R>(aor: string, nowMs: number, fn: (current: Binding[]) => { bindings: Binding[] | null; result: R }): Promise<R> {
    const attempts = this.o.maxAttempts ?? 50;
    for (let i = 0; i < attempts; i++) {
      const raw = await this.s.run('registrations read', (r) => r.get(this.aorKey(aor)));
      const stored = parse(raw);
      const { bindings, result } = fn(live(stored, nowMs));
      if (bindings === null) return result;
      const max = this.o.maxBindingsPerAor ?? 1000;
      const next = bindings.length > max ? bindings.slice(bindings.length - max) : bindings;
      const ttl = Math.max(0, ...next.map((b) => b.expiresAt)) - nowMs;
      const keep = next.length > 0 && ttl > 0;
      const indexes = keep ? [...new Set(next.map((b) => this.s.key('reg', 'acct', b.accountId))), ...new Set(next.map((b) => this.s.key('reg', 'dev', b.deviceId)))] : [];
      const written = await this.s.run('registrations write', (r) => r.eval(
        WRITE, 2 + indexes.length, this.aorKey(aor), this.expiryKey(), ...indexes,
        raw ?? '', keep ? JSON.stringify(next) : '', String(Math.max(1, ttl)), aor, String(stored.length),
        ...(keep ? next.map((b) => String(b.expiresAt)) : []),
      ));
      if (written === 1) return result;
    }
    throw new StateContendedError(aor, attempts);
  }

  async listByAccount(accountId: string, nowMs: number): Promise<Binding[]> {
    return (await this.listIndex(this.s.key('reg', 'acct', accountId), nowMs)).filter((b) => b.accountId === accountId);
  }

  async listByDevice(deviceId: string, nowMs: number): Promise<Binding[]> {
    return (await this.listIndex(this.s.key('reg', 'dev', deviceId), nowMs)).filter((b) => b.deviceId === deviceId);
  }

  async count(nowMs: number): Promise<number> {
    return this.s.run('registrations count', (r) => r.zcount(this.expiryKey(), `(${nowMs}`, '+inf'));
  }

  /** Drops expired bindings from the expiry index (the AOR keys expire by themselves); returns how many. */
  async sweep(nowMs: number): Promise<number> {
    if (this.closed) return 0;
    const members = await this.s.run('registrations sweep', (r) => r.zrangebyscore(this.expiryKey(), '-inf', nowMs));
    if (members.length === 0) return 0;
    const removed = await this.s.run('registrations sweep', (r) => r.zrem(this.expiryKey(), ...members));
    const aors = [...new Set(members.map((m) => m.slice(0, m.lastIndexOf('\n'))))];
    const changes: ExpiredBindings = [];
    for (const aor of aors) changes.push({ aor, remaining: await this.get(aor, nowMs) });
    this.o.onExpired?.(changes);
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
  }

  private async listIndex(index: string, nowMs: number): Promise<Binding[]> {
    const aors = (await this.s.run('registrations list', (r) => r.smembers(index))).sort();
    if (aors.length === 0) return [];
    const values = await this.s.run('registrations list', (r) => r.mget(...aors.map((a) => this.aorKey(a))));
    const gone = aors.filter((_, i) => values[i] === null);
    if (gone.length > 0) await this.s.run('registrations list', (r) => r.eval(PRUNE, 1, index, this.aorKey(''), ...gone));
    return values.flatMap((v) => live(parse(v), nowMs));
  }

  private aorKey(aor: string): string {
    return this.s.key('reg', 'aor', aor);
  }

  private expiryKey(): string {
    return this.s.key('reg', 'expiry');
  }
}

function parse(raw: string | null): Binding[] {
  return raw === null ? [] : (JSON.parse(raw) as Binding[]);
}

function live(bindings: Binding[], nowMs: number): Binding[] {
  return bindings.filter((b) => b.expiresAt > nowMs);
}
