import type { Leases } from './leases';
import type { RedisState } from './redis';

/**
 * KEYS: lease key. ARGV: node id, ttl ms. SET NX PX takes a free lease; a lease already held
 * by this node is extended (compare-and-extend); one held by another node is left alone.
 * One script, so a lease that expires between the two steps cannot be extended by a node
 * that no longer holds it.
 */
const HOLD = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS: lease key. ARGV: node id. Deletes only a lease this node holds. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Leases in Redis (`<prefix>lease:<name>` = holder node id, with a PX expiry). */
export class RedisLeases implements Leases {
  constructor(private readonly s: RedisState, readonly nodeId: string) {}

  async hold(name: string, ttlMs: number): Promise<boolean> {
    return (await this.s.run('lease hold', (r) => r.eval(HOLD, 1, this.s.key('lease', name), this.nodeId, String(ttlMs)))) === 1;
  }

  async release(name: string): Promise<void> {
    await this.s.run('lease release', (r) => r.eval(RELEASE, 1, this.s.key('lease', name), this.nodeId));
  }
}
