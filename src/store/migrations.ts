import type { ClientBase } from 'pg';

/** One schema step. Versions only grow; a released step is never edited, a new one is added. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The PostgreSQL schema of the document store. Like the SQLite one, documents are kept whole (as
 * jsonb) and the columns beside exist to index and to check revisions.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'documents',
    sql: `
CREATE TABLE docs (
  seq bigserial PRIMARY KEY,
  collection text NOT NULL,
  id text NOT NULL,
  account_id text NOT NULL,
  rev text NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  body jsonb NOT NULL,
  UNIQUE (collection, id)
);
CREATE INDEX docs_by_account ON docs (collection, account_id, deleted);
-- A realm names one live account: REGISTERs are bound to accounts by it. Enforced here so two
-- nodes creating the same realm at once cannot both pass the API's check.
CREATE UNIQUE INDEX live_account_realms ON docs (lower(body->>'realm')) WHERE collection = 'accounts' AND NOT deleted;
CREATE INDEX accounts_by_api_key ON docs ((body->>'pvt_api_key')) WHERE collection = 'accounts';
CREATE INDEX devices_by_sip_username ON docs ((body->'sip'->>'username')) WHERE collection = 'devices';
-- Containment look-ups (numbers of callflows, gateways and inbound_ips of resources, pvt_tree).
CREATE INDEX docs_body ON docs USING gin (body jsonb_path_ops);
`,
  },
];

/**
 * An arbitrary constant naming the migration lock among the database's advisory locks
 * ("b2bua" in ASCII). Every node uses the same key.
 */
export const MIGRATION_LOCK_KEY = 0x6232627561;

/** A migration may wait for another node's one and may build indexes: longer than a request. */
const MIGRATION_TIMEOUT = '120s';

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in version order, in one
 * transaction. The transaction first takes an advisory lock (released by COMMIT/ROLLBACK), so
 * nodes starting together run the steps once: the second waits, then finds them recorded.
 * Returns the versions applied now (empty when the schema was current).
 */
export async function migrate(client: ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL statement_timeout = '${MIGRATION_TIMEOUT}'`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    // Created under the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide.
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return applied;
}
