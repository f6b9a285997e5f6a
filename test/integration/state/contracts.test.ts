/**
 * The same contract suites the memory and SQLite stores run (test/unit/**\/*-cases.ts), here
 * against the Redis implementations on a real redis-server; then what only Redis does (key
 * TTLs, two nodes on one AOR, the live-call directory).
 */
import t from 'tap';
import { RedisAuthFailureLimiter, RedisBindingStore, RedisCallDirectory, RedisNonceWindow, RedisSipFailureLimiter, RedisTokenStore, MemoryCallDirectory, type CallDirectory } from '../../../src/state';
import { redisState, startRedis } from '../../helpers/redis';
import { bindingStoreContract, mk } from '../../unit/signalling/binding-store-cases';
import { tokenStoreContract } from '../../unit/api/tokens-cases';
import { nonceWindowContract } from '../../unit/signalling/nonce-window-cases';
import { sipLimiterContract } from '../../unit/signalling/rate-limiter-cases';
import { apiLimiterContract } from '../../unit/api/limiter-cases';
import { tokenDigest } from '../../../src/api/tokens';

t.test('redis', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const state = async (tt: Parameters<typeof bindingStoreContract>[0]) => {
    const s = await redisState(redis);
    tt.teardown(() => s.close());
    return s;
  };

  bindingStoreContract(t, 'redis', (tt) => async (onExpired) => new RedisBindingStore(await state(tt), { sweepMs: 0, onExpired }));
  tokenStoreContract(t, 'redis', async (tt, ttlMs, now) => new RedisTokenStore(await state(tt), ttlMs, now));
  nonceWindowContract(t, 'redis', async (tt) => new RedisNonceWindow(await state(tt), 300));
  sipLimiterContract(t, 'redis', async (tt, o) => new RedisSipFailureLimiter(await state(tt), o));
  apiLimiterContract(t, 'redis', async (tt, max, windowMs, now) => new RedisAuthFailureLimiter(await state(tt), max, windowMs, now));

  t.test('redis bindings: the AOR key expires in Redis with its last binding; two nodes on one AOR lose no write', async (t) => {
    const s = await state(t);
    const a = new RedisBindingStore(s, { sweepMs: 0 });
    const b = new RedisBindingStore(s, { sweepMs: 0 });
    const s2 = await redisState(redis);
    t.teardown(() => s2.close());
    await a.update('x@r', 0, () => ({ bindings: [mk('x@r', 'A', 'd1', 400), mk('x@r', 'A', 'd1', 60_000, { contact: 'sip:2' })], result: null }));
    const pttl = await s.redis.pttl(s.key('reg', 'aor', 'x@r'));
    t.ok(pttl > 59_000 && pttl <= 60_000, `key TTL follows the longest binding (${pttl} ms)`);
    await a.update('y@r', 0, () => ({ bindings: [mk('y@r', 'A', 'd2', 300)], result: null }));
    await new Promise((r) => setTimeout(r, 400));
    t.equal(await s.redis.exists(s.key('reg', 'aor', 'y@r')), 0, 'Redis forgot the AOR at its expiry');
    t.same((await a.listByDevice('d2', 0)).length, 0, 'and the device index drops it');
    // Two stores (two nodes) adding contacts to one AOR at once.
    const add = (store: RedisBindingStore, contact: string): Promise<number> =>
      store.update('z@r', 0, (cur) => ({ bindings: [...cur, mk('z@r', 'A', 'd3', 60_000, { contact })], result: cur.length }));
    const seen = await Promise.all(Array.from({ length: 20 }, (_, i) => add(i % 2 === 0 ? a : b, `sip:${i}`)));
    t.same([...seen].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i), 'each update saw all earlier ones');
    t.equal((await b.get('z@r', 0)).length, 20, 'no write lost');
  });

  t.test('redis bindings: many updates of one AOR at once on one node do not contend', async (t) => {
    // Before updates were queued per AOR, 100 concurrent ones read the same value and retried
    // each other out of their attempts (StateContendedError, a REGISTER answered 500).
    const store = new RedisBindingStore(await state(t), { sweepMs: 0, maxAttempts: 3 });
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) =>
      store.update('busy@r', 0, () => ({ bindings: [mk('busy@r', 'A', 'd4', 60_000, { contact: `sip:${i}` })], result: i }))));
    t.equal(results.filter((r) => r.status === 'rejected').length, 0, 'no update ran out of its 3 attempts');
    t.same((await store.get('busy@r', 0)).map((b) => b.contact), ['sip:99'], 'the last one queued wrote last');
  });

  t.test('redis tokens: only the SHA-256 is a key, with the token ttl', async (t) => {
    const s = await state(t);
    const tokens = new RedisTokenStore(s, 30_000, Date.now);
    const { token } = await tokens.issue('acc1');
    const keys = await s.redis.keys(`${s.prefix}*`);
    t.same(keys, [s.key('tok', tokenDigest(token))], 'one key, named by the hash');
    t.notOk((await s.redis.get(keys[0]))?.includes(token), 'the token is not a value either');
    const pttl = await s.redis.pttl(keys[0]);
    t.ok(pttl > 29_000 && pttl <= 30_000, `expires with the token (${pttl} ms)`);
  });

  t.test('call directory: memory and Redis say who owns a call; Redis entries expire unless refreshed', async (t) => {
    const s = await state(t);
    const dirs: [string, CallDirectory, CallDirectory][] = [
      ['memory', new MemoryCallDirectory('n1'), new MemoryCallDirectory('n1')],
      ['redis', new RedisCallDirectory(s, 'n1', 3), new RedisCallDirectory(s, 'n2', 3)],
    ];
    for (const [name, d] of dirs) {
      t.teardown(() => d.close());
      await d.add('c1');
      t.equal(await d.ownerOf('c1'), 'n1', `${name}: owner recorded`);
      await d.remove('c1');
      t.equal(await d.ownerOf('c1'), undefined, `${name}: removed at the end`);
    }
    const [, , n2] = dirs[1];
    t.teardown(() => n2.close());
    const n1 = dirs[1][1] as RedisCallDirectory;
    await n1.add('c2');
    t.equal(await n2.ownerOf('c2'), 'n1', 'another node sees the owner');
    t.ok((await s.redis.ttl(s.key('call', 'c2'))) <= 3, 'with the configured TTL');
    await s.redis.expire(s.key('call', 'c2'), 1);
    await n1.refresh();
    t.ok((await s.redis.ttl(s.key('call', 'c2'))) >= 2, 'a refresh re-arms the TTL of a live call');
  });
});
