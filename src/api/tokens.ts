import { createHash, randomBytes } from 'node:crypto';

export interface TokenGrant {
  accountId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Auth tokens handed out by PUT /v2/api_auth: opaque random strings with their account and
 * expiry. One node keeps them in SQLite (sqlite-tokens.ts) so that a restart logs nobody
 * out; several nodes share them in Redis (src/state/redis-tokens.ts); MemoryTokenStore serves
 * units and tests. Asynchronous because the Redis store answers over the network.
 */
export interface TokenStore {
  issue(accountId: string): Promise<{ token: string; grant: TokenGrant }>;
  /** The grant for a live token; expired tokens are forgotten on sight. */
  check(token: string): Promise<TokenGrant | undefined>;
  revoke(token: string): Promise<void>;
  /** Live grants kept (after issue's sweep, no expired one is counted). */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** Only a token's SHA-256 is stored (SQLite, Redis): a copy of the data does not hand out live sessions. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 256 random bits, hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Tokens in memory: a restart logs everyone out. */
export class MemoryTokenStore implements TokenStore {
  private readonly grants = new Map<string, TokenGrant>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async issue(accountId: string): Promise<{ token: string; grant: TokenGrant }> {
    this.sweep();
    const token = newToken();
    const grant = { accountId, expiresAt: this.now() + this.ttlMs };
    this.grants.set(token, grant);
    return { token, grant };
  }

  async check(token: string): Promise<TokenGrant | undefined> {
    const grant = this.grants.get(token);
    if (grant === undefined) return undefined;
    if (grant.expiresAt <= this.now()) {
      this.grants.delete(token);
      return undefined;
    }
    return grant;
  }

  async revoke(token: string): Promise<void> {
    this.grants.delete(token);
  }

  async count(): Promise<number> {
    const now = this.now();
    return [...this.grants.values()].filter((g) => g.expiresAt > now).length;
  }

  async close(): Promise<void> {
    this.grants.clear();
  }

  /** Drops expired grants; run on issue so memory stays bounded without a timer. */
  private sweep(): void {
    const now = this.now();
    for (const [token, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(token);
  }
}
