import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Owner-only modes for state: the database holds SIP passwords and every API key. */
export const STATE_FILE_MODE = 0o600;
export const STATE_DIR_MODE = 0o700;

/**
 * Opens (creating when absent) an SQLite file of the service's state, owner-only: the directory
 * is created 0700, the file 0600 before SQLite first opens it. SQLite creates the -wal and -shm
 * files with the main file's permissions (os_unix.c findCreateFileMode), so they follow; files
 * left 0644 by an earlier version are narrowed here. WAL mode: readers never block the writer,
 * and a crash loses at most the transaction in flight. Several connections (the document
 * store, registrations, API tokens) share one file, each with its own tables.
 */
export function openSqliteFile(path: string): Database.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: STATE_DIR_MODE });
    closeSync(openSync(path, 'a', STATE_FILE_MODE));
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      try {
        chmodSync(f, STATE_FILE_MODE);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the
  // last transactions, which FULL would cost an fsync per write to prevent.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
