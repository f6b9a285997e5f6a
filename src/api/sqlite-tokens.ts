import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openSqliteFile } from '../store';
import { newToken, type TokenGrant, type TokenStore } from './tokens';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_tokens (
  token_sha256 TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS api_tokens_by_expiry ON api_tokens (expires_at);
`;

/** Only a token's SHA-256 is stored: a copy of the database does not hand out live sessions. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

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

  issue(accountId: string): { token: string; grant: TokenGrant } {
    const now = this.now();
    const token = newToken();
    const grant = { accountId, expiresAt: now + this.ttlMs };
    const tx = this.db.transaction(() => {
      this.db.prepare('DELETE FROM api_tokens WHERE expires_at <= ?').run(now);
      this.db.prepare('INSERT INTO api_tokens (token_sha256, account_id, expires_at) VALUES (?, ?, ?)').run(digest(token), accountId, grant.expiresAt);
    });
    tx();
    return { token, grant };
  }

  check(token: string): TokenGrant | undefined {
    const key = digest(token);
    const row = this.db.prepare<{ account_id: string; expires_at: number }>('SELECT account_id, expires_at FROM api_tokens WHERE token_sha256 = ?').get(key);
    if (row === undefined) return undefined;
    if (row.expires_at <= this.now()) {
      this.db.prepare('DELETE FROM api_tokens WHERE token_sha256 = ?').run(key);
      return undefined;
    }
    return { accountId: row.account_id, expiresAt: row.expires_at };
  }

  revoke(token: string): void {
    this.db.prepare('DELETE FROM api_tokens WHERE token_sha256 = ?').run(digest(token));
  }

  get size(): number {
    return this.db.prepare<{ n: number }>('SELECT count(*) AS n FROM api_tokens').get()?.n ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
