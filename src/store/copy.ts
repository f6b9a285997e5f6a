import Database from 'better-sqlite3';
import { Client } from 'pg';
import { migrate } from './migrations';
import { storeError } from './postgres-errors';

interface SqliteRow {
  collection: string;
  id: string;
  account_id: string;
  rev: string;
  deleted: number;
  body: string;
}

export interface CopyReport {
  /** Documents in the SQLite file (live and soft-deleted). */
  read: number;
  /** New in PostgreSQL. */
  inserted: number;
  /** Present in PostgreSQL at a lower revision number, overwritten. */
  updated: number;
  /** Present at the same or a higher revision number (copied before, or changed since): left alone. */
  kept: number;
}

/**
 * Copies every document of a SQLite store into a PostgreSQL store, ids and revisions unchanged
 * and in the same order (so "oldest first" lists stay so). One transaction: all or nothing.
 * Running it again is harmless: a document already there at the same or a newer revision is
 * kept, so nothing written on the PostgreSQL side since is lost. Registrations and API tokens
 * are not copied (phones re-register, users log in again).
 */
export async function copySqliteToPostgres(from: string, to: string): Promise<CopyReport> {
  const src = new Database(from, { readonly: true, fileMustExist: true });
  let rows: SqliteRow[];
  try {
    rows = src.prepare<SqliteRow>('SELECT collection, id, account_id, rev, deleted, body FROM docs ORDER BY seq').all();
  } finally {
    src.close();
  }
  const pg = new Client({ connectionString: to, connectionTimeoutMillis: 10_000, application_name: 'b2bua-store-copy' });
  await pg.connect().catch((err: unknown) => {
    throw storeError(err);
  });
  const report: CopyReport = { read: rows.length, inserted: 0, updated: 0, kept: 0 };
  try {
    await migrate(pg);
    await pg.query('BEGIN');
    for (const r of rows) {
      // xmax = 0 tells an inserted row from an updated one; no row back means kept.
      const res = await pg.query<{ inserted: boolean }>(
        `INSERT INTO docs (collection, id, account_id, rev, deleted, body) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
           ON CONFLICT (collection, id) DO UPDATE SET account_id = EXCLUDED.account_id, rev = EXCLUDED.rev,
             deleted = EXCLUDED.deleted, body = EXCLUDED.body
           WHERE split_part(docs.rev, '-', 1)::bigint < split_part(EXCLUDED.rev, '-', 1)::bigint
         RETURNING (xmax = 0) AS inserted`,
        [r.collection, r.id, r.account_id, r.rev, r.deleted === 1, r.body],
      );
      const row = res.rows[0];
      if (row === undefined) report.kept++;
      else if (row.inserted) report.inserted++;
      else report.updated++;
    }
    await pg.query('COMMIT');
  } catch (err) {
    await pg.query('ROLLBACK').catch(() => undefined);
    throw storeError(err);
  } finally {
    await pg.end();
  }
  return report;
}
