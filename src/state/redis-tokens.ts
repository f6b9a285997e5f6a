import { newToken, tokenDigest, type TokenGrant, type TokenStore } from '../api/tokens';
import type { RedisState } from './redis';

/**
 * API tokens in Redis, valid on every node. As in SQLite only the token's SHA-256 is a key
 * (a dump of Redis hands out no session); the key expires with the token (PX = token ttl), and
 * expiry is also judged by the injected clock on every check.
 */
export class RedisTokenStore implements TokenStore {
  constructor(
    private readonly s: RedisState,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async issue(accountId: string): Promise<{ token: string; grant: TokenGrant }> {
    const token = newToken();
    const grant = { accountId, expiresAt: this.now() + this.ttlMs };
    await this.s.run('token issue', (r) => r.set(this.key(token), JSON.stringify(grant), 'PX', this.ttlMs));
    return { token, grant };
  }

  async check(token: string): Promise<TokenGrant | undefined> {
    const raw = await this.s.run('token check', (r) => r.get(this.key(token)));
    if (raw === null) return undefined;
    const grant = JSON.parse(raw) as TokenGrant;
    if (grant.expiresAt <= this.now()) {
      await this.revoke(token);
      return undefined;
    }
    return grant;
  }

  async revoke(token: string): Promise<void> {
    await this.s.run('token revoke', (r) => r.del(this.key(token)));
  }

  /** Live tokens, by a SCAN of the token keys (for tests and operators, not the request path). */
  async count(): Promise<number> {
    const now = this.now();
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.s.run('token count', (r) => r.scan(cursor, 'MATCH', this.s.key('tok', '*'), 'COUNT', 500));
      cursor = next;
      if (keys.length === 0) continue;
      const values = await this.s.run('token count', (r) => r.mget(...keys));
      n += values.filter((v) => v !== null && (JSON.parse(v) as TokenGrant).expiresAt > now).length;
    } while (cursor !== '0');
    return n;
  }

  /** The connection is the node's (RedisState), closed by its owner. */
  async close(): Promise<void> {}

  private key(token: string): string {
    return this.s.key('tok', tokenDigest(token));
  }
}
