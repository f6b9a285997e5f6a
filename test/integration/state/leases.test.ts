/**
 * Leases and the node registry on a real redis-server: one holder at a time, extension by the
 * holder only, expiry frees a lease, release by the holder only; nodes listed while they
 * announce themselves and gone after their TTL or a clean close.
 */
import t from 'tap';
import { RedisLeases, RedisNodeRegistry } from '../../../src/state';
import { redisState, startRedis } from '../../helpers/redis';

t.test('leases: one holder, extended by it, freed by expiry or its release', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const s = await redisState(redis);
  t.teardown(() => s.close());
  const a = new RedisLeases(s, 'node-a');
  const b = new RedisLeases(s, 'node-b');
  t.equal(await a.hold('x', 300), true, 'a takes the free lease');
  t.equal(await b.hold('x', 300), false, 'b cannot while a holds it');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(await a.hold('x', 300), true, 'a extends it');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(await b.hold('x', 300), false, 'still a\'s 400 ms after it was taken (extended)');
  await b.release('x');
  t.equal(await b.hold('x', 300), false, 'b\'s release does not free a\'s lease');
  await new Promise((r) => setTimeout(r, 400));
  t.equal(await b.hold('x', 300), true, 'a stopped extending: the lease expired and b takes it');
  t.equal(await a.hold('x', 300), false, 'a has lost it');
  await b.release('x');
  t.equal(await a.hold('x', 300), true, 'b released it: a takes it at once');
  t.equal(await b.hold('y', 300), true, 'leases are independent');
});

t.test('node registry: announced nodes, gone after their TTL or a clean close', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const s = await redisState(redis);
  t.teardown(() => s.close());
  const a = new RedisNodeRegistry(s, { id: 'node-a', api: 'http://10.0.0.1:8000' }, 3);
  const b = new RedisNodeRegistry(s, { id: 'node-b', api: 'http://10.0.0.2:8000' }, 3);
  await a.announce();
  await b.announce();
  t.same((await a.list()).map((n) => n.id).sort(), ['node-a', 'node-b'], 'both listed');
  t.same(await a.get('node-b'), { id: 'node-b', api: 'http://10.0.0.2:8000' }, 'with the API address');
  await b.close();
  t.same((await a.list()).map((n) => n.id), ['node-a'], 'a clean close leaves at once');
  t.equal(await a.get('node-b'), undefined);
  await s.redis.del(s.key('node', 'node-a'));
  t.same(await a.list(), [], 'an expired entry is not listed');
  t.same(await s.redis.smembers(s.key('nodes')), [], 'and leaves the set');
  await a.close();
});
