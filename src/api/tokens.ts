import { randomBytes } from 'node:crypto';

export interface TokenGrant {
  accountId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Auth tokens handed out by PUT /v2/api_auth: opaque random strings with their account and
 * expiry. The service keeps them in SQLite (sqlite-tokens.ts) so that a restart logs nobody
 * out; MemoryTokenStore serves units and tests. Synchronous, as every check is on the request
 * path and SQLite (better-sqlite3) answers synchronously.
 */
export interface TokenStore {
  issue(accountId: string): { token: string; grant: TokenGrant };
  /** The grant for a live token; expired tokens are forgotten on sight. */
  check(token: string): TokenGrant | undefined;
  revoke(token: string): void;
  /** Grants kept (live, or expired but not swept yet). */
  readonly size: number;
  close(): void;
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

  issue(accountId: string): { token: string; grant: TokenGrant } {
    this.sweep();
    const token = newToken();
    const grant = { accountId, expiresAt: this.now() + this.ttlMs };
    this.grants.set(token, grant);
    return { token, grant };
  }

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

  close(): void {
    this.grants.clear();
  }

  /** Drops expired grants; run on issue so memory stays bounded without a timer. */
  private sweep(): void {
    const now = this.now();
    for (const [token, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(token);
  }
}
