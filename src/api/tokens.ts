import { randomBytes } from 'node:crypto';

export interface TokenGrant {
  accountId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Auth tokens handed out by PUT /v2/api_auth. Opaque random strings kept in memory with their
 * expiry: a restart logs everyone out, which is acceptable for an administration API and keeps
 * secrets out of the database. (Several nodes would need a shared store or signed tokens.)
 */
export class TokenStore {
  private readonly grants = new Map<string, TokenGrant>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  issue(accountId: string): { token: string; grant: TokenGrant } {
    this.sweep();
    const token = randomBytes(32).toString('hex');
    const grant = { accountId, expiresAt: this.now() + this.ttlMs };
    this.grants.set(token, grant);
    return { token, grant };
  }

  /** The grant for a live token; expired tokens are forgotten on sight. */
  check(token: string): TokenGrant | undefined {
    const grant = this.grants.get(token);
    if (grant === undefined) return undefined;
    if (grant.expiresAt <= this.now()) {
      this.grants.delete(token);
      return undefined;
    }
    return grant;
  }

  revoke(token: string): void {
    this.grants.delete(token);
  }

  get size(): number {
    return this.grants.size;
  }

  /** Drops expired grants; run on issue so memory stays bounded without a timer. */
  private sweep(): void {
    const now = this.now();
    for (const [token, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(token);
  }
}
