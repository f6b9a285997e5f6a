import type { AuthFailureLimiter } from '../api/limiter';
import type { RateLimiterOptions, SipFailureLimiter } from '../signalling/auth/rate-limiter';
import type { RedisState } from './redis';

/**
 * The SIP failure limiter of signalling/auth/rate-limiter.ts over Redis, same semantics (one
 * contract suite runs against both): per (source IP, user@realm) a fixed window counter and a
 * block; per source at most `maxKeysPerSource` users, unblocked ones evicted least recently
 * touched first, and a source whose tracked users are all blocked refused for new users.
 * Entries expire once neither their window nor their block matters (plus one window), which
 * bounds Redis in place of the memory limiter's `maxEntries`. One script per operation, so
 * two nodes counting at once do not lose a failure.
 *
 * KEYS: source zset (users by last touch), touch sequence. ARGV: entry key prefix, subject,
 * now, window, block, maxFailures, maxKeysPerSource, op ('blocked' | 'fail' | 'ok').
 */
const SIP = `
local z, ep, subj = KEYS[1], ARGV[1], ARGV[2]
local now, win, blk = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local maxf, maxk, op = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local function entry(m)
  local v = redis.call('HMGET', ep .. m, 'ws', 'f', 'bu')
  if not v[1] then return nil end
  return { ws = tonumber(v[1]), f = tonumber(v[2]), bu = tonumber(v[3]) }
end
local function tracked()
  local out = {}
  for _, m in ipairs(redis.call('ZRANGE', z, 0, -1)) do
    local e = entry(m)
    if e then table.insert(out, { m = m, e = e }) else redis.call('ZREM', z, m) end
  end
  return out
end
local e = entry(subj)
if op == 'blocked' then
  if e then return (e.bu > now) and 1 or 0 end
  local t = tracked()
  if #t < maxk then return 0 end
  for _, x in ipairs(t) do if x.e.bu <= now then return 0 end end
  return 1
end
if op == 'ok' then
  if e and e.bu <= now then
    redis.call('DEL', ep .. subj)
    redis.call('ZREM', z, subj)
  end
  return 0
end
if not e then
  local t = tracked()
  if #t >= maxk then
    local evicted = false
    for _, x in ipairs(t) do
      if x.e.bu <= now then
        redis.call('DEL', ep .. x.m)
        redis.call('ZREM', z, x.m)
        evicted = true
        break
      end
    end
    if not evicted then return 1 end
  end
end
if not e or now - e.ws >= win then e = { ws = now, f = 0, bu = e and e.bu or 0 } end
e.f = e.f + 1
if e.f >= maxf then e.bu = math.max(e.bu, now + blk) end
local ttl = math.max(e.ws + win, e.bu) - now + win
redis.call('HSET', ep .. subj, 'ws', string.format('%d', e.ws), 'f', string.format('%d', e.f), 'bu', string.format('%d', e.bu))
redis.call('PEXPIRE', ep .. subj, string.format('%d', ttl))
redis.call('ZADD', z, redis.call('INCR', KEYS[2]), subj)
if redis.call('PTTL', z) < ttl then redis.call('PEXPIRE', z, string.format('%d', ttl)) end
return (e.bu > now) and 1 or 0
`;

export class RedisSipFailureLimiter implements SipFailureLimiter {
  constructor(private readonly s: RedisState, private readonly o: RateLimiterOptions) {}

  async isBlocked(source: string, subject: string, nowMs: number): Promise<boolean> {
    return (await this.op('blocked', source, subject, nowMs)) === 1;
  }

  async recordFailure(source: string, subject: string, nowMs: number): Promise<boolean> {
    return (await this.op('fail', source, subject, nowMs)) === 1;
  }

  async recordSuccess(source: string, subject: string, nowMs: number): Promise<void> {
    await this.op('ok', source, subject, nowMs);
  }

  private op(op: 'blocked' | 'fail' | 'ok', source: string, subject: string, nowMs: number): Promise<unknown> {
    const o = this.o;
    return this.s.run(`sip limiter ${op}`, (r) => r.eval(
      SIP, 2, this.s.key('sipfail', 'src', source), this.s.key('sipfail', 'seq'),
      this.s.key('sipfail', 'e', `${source}|`), subject.toLowerCase(), String(nowMs), String(o.windowMs), String(o.blockMs),
      String(o.maxFailures), String(o.maxKeysPerSource), op,
    ));
  }
}

/** KEYS: failures zset, sequence. ARGV: now, window. Keeps the failures inside the window, expiring with it. */
const API_FAIL = `
local now, win, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - win))
redis.call('ZADD', KEYS[1], string.format('%d', now), redis.call('INCR', KEYS[2]))
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(max + 1))
redis.call('PEXPIRE', KEYS[1], string.format('%d', win))
return 0
`;

/**
 * The PUT /v2/api_auth limiter of api/limiter.ts over Redis: failure times per client address
 * in a sorted set (sliding window, only the newest `maxFailures` kept), expiring with the window.
 */
export class RedisAuthFailureLimiter implements AuthFailureLimiter {
  constructor(
    private readonly s: RedisState,
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  async blocked(key: string): Promise<boolean> {
    const since = this.now() - this.windowMs;
    return (await this.s.run('api limiter', (r) => r.zcount(this.key(key), `(${since}`, '+inf'))) >= this.maxFailures;
  }

  async fail(key: string): Promise<void> {
    await this.s.run('api limiter', (r) => r.eval(
      API_FAIL, 2, this.key(key), this.s.key('apifail', 'seq'), String(this.now()), String(this.windowMs), String(this.maxFailures),
    ));
  }

  async succeed(key: string): Promise<void> {
    await this.s.run('api limiter', (r) => r.del(this.key(key)));
  }

  private key(k: string): string {
    return this.s.key('apifail', k);
  }
}
