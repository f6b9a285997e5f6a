import type Database from 'better-sqlite3';
import { openSqliteFile } from '../store';
import { newToken, tokenDigest, type TokenGrant, type TokenStore } from './tokens';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_tokens (
  token_sha256 TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS api_tokens_by_expiry ON api_tokens (expires_at);
`;

/**
 * API tokens in SQLite (by default the document store's file, a table of its own), so that a
 * token stays valid across restarts until it expires. Expired rows are ignored on read,
 * deleted when seen and swept on every issue.
 */
export class SqliteTokenStore implements TokenStore {
  private readonly db: Database.Database;
  private closed = false;

  constructor(
    path: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.db = openSqliteFile(path);
    this.db.exec(SCHEMA);
  }

  async issue(accountId: string): Promise<{ token: string; grant: TokenGrant }> {
    const now = this.now();
    const token = newToken();
    const grant = { accountId, expiresAt: now + this.ttlMs };
    const tx = this.db.transaction(() => {
      this.db.prepare('DELETE FROM api_tokens WHERE expires_at <= ?').run(now);
      this.db.prepare('INSERT INTO api_tokens (token_sha256, account_id, expires_at) VALUES (?, ?, ?)').run(tokenDigest(token), accountId, grant.expiresAt);
    });
    tx();
    return { token, grant };
  }

  async check(token: string): Promise<TokenGrant | undefined> {
    const key = tokenDigest(token);
    const row = this.db.prepare<{ account_id: string; expires_at: number }>('SELECT account_id, expires_at FROM api_tokens WHERE token_sha256 = ?').get(key);
    if (row === undefined) return undefined;
    if (row.expires_at <= this.now()) {
      this.db.prepare('DELETE FROM api_tokens WHERE token_sha256 = ?').run(key);
      return undefined;
    }
    return { accountId: row.account_id, expiresAt: row.expires_at };
  }

  async revoke(token: string): Promise<void> {
    this.db.prepare('DELETE FROM api_tokens WHERE token_sha256 = ?').run(tokenDigest(token));
  }

  async count(): Promise<number> {
    return this.db.prepare<{ n: number }>('SELECT count(*) AS n FROM api_tokens WHERE expires_at > ?').get(this.now())?.n ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
