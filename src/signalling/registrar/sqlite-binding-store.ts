import type Database from 'better-sqlite3';
import { openSqliteFile } from '../../store';
import type { BindingStore, ExpiredBindings } from './binding-store';
import type { Binding } from './bindings';

/**
 * Registrations of one node in SQLite, so that a restart keeps every phone reachable until its
 * binding expires (RFC 3261 10.3: a binding lives until its expiry, not until our restart). By
 * default the document store's file, in a table of its own. Rows keep the binding whole as
 * JSON; `pos` keeps an AOR's write order. Expired rows are invisible on every read and swept
 * every `sweepMs`.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS registrar_bindings (
  aor TEXT NOT NULL,
  pos INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (aor, pos)
);
CREATE INDEX IF NOT EXISTS registrar_bindings_by_account ON registrar_bindings (account_id, expires_at);
CREATE INDEX IF NOT EXISTS registrar_bindings_by_device ON registrar_bindings (device_id, expires_at);
CREATE INDEX IF NOT EXISTS registrar_bindings_by_expiry ON registrar_bindings (expires_at);
`;

interface Row {
  body: string;
}

export interface SqliteBindingStoreOptions {
  /** The SQLite file (the document store's), or ':memory:'. */
  path: string;
  sweepMs?: number;
  clock?: () => number;
  /** Told which AORs lost bindings to expiry in a sweep (keeps a registrations gauge true). */
  onExpired?: (changes: ExpiredBindings) => void;
}

export class SqliteBindingStore implements BindingStore {
  private readonly db: Database.Database;
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly clock: () => number;
  private closed = false;

  constructor(private readonly o: SqliteBindingStoreOptions) {
    this.db = openSqliteFile(o.path);
    this.db.exec(SCHEMA);
    this.clock = o.clock ?? Date.now;
    const sweepMs = o.sweepMs ?? 30_000;
    if (sweepMs > 0) {
      this.sweeper = setInterval(() => this.sweep(this.clock()), sweepMs);
      this.sweeper.unref();
    }
  }

  async get(aor: string, nowMs: number): Promise<Binding[]> {
    return this.read(aor, nowMs);
  }

  async update<R>(aor: string, nowMs: number, fn: (current: Binding[]) => { bindings: Binding[] | null; result: R }): Promise<R> {
    // IMMEDIATE takes the write lock before reading: no other connection (or node sharing the
    // file) can write the AOR between our read and our write.
    const tx = this.db.transaction((): R => {
      const { bindings, result } = fn(this.read(aor, nowMs));
      if (bindings !== null) this.write(aor, bindings);
      return result;
    });
    return tx.immediate();
  }

  async listByAccount(accountId: string, nowMs: number): Promise<Binding[]> {
    return this.rows('SELECT body FROM registrar_bindings WHERE account_id = ? AND expires_at > ? ORDER BY aor, pos', accountId, nowMs);
  }

  async listByDevice(deviceId: string, nowMs: number): Promise<Binding[]> {
    return this.rows('SELECT body FROM registrar_bindings WHERE device_id = ? AND expires_at > ? ORDER BY aor, pos', deviceId, nowMs);
  }

  async count(nowMs: number): Promise<number> {
    const row = this.db.prepare<{ n: number }>('SELECT count(*) AS n FROM registrar_bindings WHERE expires_at > ?').get(nowMs);
    return row?.n ?? 0;
  }

  /** Deletes expired bindings; returns how many. */
  sweep(nowMs: number): number {
    if (this.closed) return 0;
    const tx = this.db.transaction((): { removed: number; changes: ExpiredBindings } => {
      const aors = this.db.prepare<{ aor: string }>('SELECT DISTINCT aor FROM registrar_bindings WHERE expires_at <= ?').all(nowMs);
      const removed = this.db.prepare('DELETE FROM registrar_bindings WHERE expires_at <= ?').run(nowMs).changes;
      return { removed, changes: aors.map(({ aor }) => ({ aor, remaining: this.read(aor, nowMs) })) };
    });
    const { removed, changes } = tx.immediate();
    if (changes.length > 0) this.o.onExpired?.(changes);
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.db.close();
  }

  private read(aor: string, nowMs: number): Binding[] {
    return this.rows('SELECT body FROM registrar_bindings WHERE aor = ? AND expires_at > ? ORDER BY pos', aor, nowMs);
  }

  private rows(sql: string, key: string, nowMs: number): Binding[] {
    return this.db.prepare<Row>(sql).all(key, nowMs).map((r) => JSON.parse(r.body) as Binding);
  }

  private write(aor: string, bindings: Binding[]): void {
    this.db.prepare('DELETE FROM registrar_bindings WHERE aor = ?').run(aor);
    const insert = this.db.prepare('INSERT INTO registrar_bindings (aor, pos, account_id, device_id, expires_at, body) VALUES (?, ?, ?, ?, ?, ?)');
    bindings.forEach((b, pos) => insert.run(aor, pos, b.accountId, b.deviceId, b.expiresAt, JSON.stringify(b)));
  }
}
