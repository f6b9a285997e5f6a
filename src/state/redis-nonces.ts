import type { NonceWindow } from '../signalling/auth/verifier';
import type { RedisState } from './redis';

/** KEYS: nonce key. ARGV: nc, ttl seconds. Compare and set in one step, so two nodes cannot both accept one nc. */
const ACCEPT = `
local last = redis.call('GET', KEYS[1])
if last and tonumber(last) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
`;

/**
 * The nonce-count replay window (RFC 2617 3.2.2) shared by the nodes: a request answered on
 * one node cannot be replayed to another. One key per nonce holding the highest nc, expiring
 * with the nonce's lifetime (a nonce past it is refused as stale anyway, so forgetting its
 * count then is safe).
 */
export class RedisNonceWindow implements NonceWindow {
  constructor(private readonly s: RedisState, private readonly lifetimeSec: number) {}

  async accept(nonce: string, nc: number): Promise<boolean> {
    // +5 s: checkNonce trusts nonces up to 5 s in the future (clock skew between nodes).
    const ttl = this.lifetimeSec + 5;
    return (await this.s.run('nonce-count', (r) => r.eval(ACCEPT, 1, this.s.key('nc', nonce), String(nc), String(ttl)))) === 1;
  }
}
