import type Database from 'better-sqlite3';
import { openSqliteFile } from './sqlite-file';
import { ConflictError, InvalidDocumentError, NotFoundError } from './errors';
import { isJsonObject, newId } from './doc';
import { assertFieldPath, checkRev, mergeChange, newDocument, nextDocument, replaceChange, softDeleteChange } from './write';
import type {
  AccountDoc,
  Collection,
  CreateOptions,
  DeleteOptions,
  DocumentStore,
  JsonObject,
  ReadOptions,
  SipCredentialsMatch,
  StoredDoc,
  WriteOptions,
} from './types';

interface Row {
  body: string;
  rev: string;
  deleted: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  rev TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  UNIQUE (collection, id)
);
CREATE INDEX IF NOT EXISTS docs_by_account ON docs (collection, account_id, deleted);
CREATE INDEX IF NOT EXISTS accounts_by_realm ON docs (lower(json_extract(body, '$.realm'))) WHERE collection = 'accounts';
-- A realm names one live account: REGISTERs are bound to accounts by it. Enforced here so two
-- concurrent creations cannot both pass the API's check.
CREATE UNIQUE INDEX IF NOT EXISTS live_account_realms ON docs (lower(json_extract(body, '$.realm')))
  WHERE collection = 'accounts' AND deleted = 0;
CREATE INDEX IF NOT EXISTS accounts_by_api_key ON docs (json_extract(body, '$.pvt_api_key')) WHERE collection = 'accounts';
CREATE INDEX IF NOT EXISTS devices_by_sip_username ON docs (json_extract(body, '$.sip.username')) WHERE collection = 'devices';
`;

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' (tests where persistence is not the point). */
  path: string;
  /** Milliseconds since the epoch; injectable so tests can control timestamps. */
  now?: () => number;
}

/**
 * The embedded store: one SQLite file in WAL mode, owner-only (see openSqliteFile). Documents
 * are kept whole as JSON in `body`; the columns beside it exist only to index and to check
 * revisions.
 */
export class SqliteDocumentStore implements DocumentStore {
  private readonly db: Database.Database;
  private readonly now: () => number;
  /**
   * Prepared statements by SQL text: preparing on every query was 0.6 s of the signalling
   * thread's 16 s in a bench:recordings profile (150 calls). The texts are a fixed set.
   */
  private readonly statements = new Map<string, Database.Statement<unknown>>();
  private closed = false;

  constructor(opts: SqliteStoreOptions) {
    this.db = openSqliteFile(opts.path);
    this.db.exec(SCHEMA);
    this.now = opts.now ?? Date.now;
  }

  // --- writes -----------------------------------------------------------------------------

  async create(collection: Collection, accountId: string, body: JsonObject, opts: CreateOptions = {}): Promise<StoredDoc> {
    if (collection === 'accounts') throw new InvalidDocumentError('use createAccount for accounts');
    return this.insert(collection, accountId, body, opts.id ?? newId(), {});
  }

  async createAccount(parentId: string | null, body: JsonObject, opts: CreateOptions = {}): Promise<AccountDoc> {
    const id = opts.id ?? newId();
    const tx = this.db.transaction((): AccountDoc => {
      let tree: string[] = [];
      if (parentId !== null) {
        const parent = this.getAccount(parentId, false);
        tree = [...parent.pvt_tree, parent._id];
      }
      return this.insert('accounts', id, body, id, { pvt_tree: tree }) as AccountDoc;
    });
    return tx();
  }

  async read(collection: Collection, id: string, opts: ReadOptions = {}): Promise<StoredDoc> {
    return this.get(collection, id, opts.includeDeleted === true);
  }

  async readAccount(id: string, opts: ReadOptions = {}): Promise<AccountDoc> {
    return this.getAccount(id, opts.includeDeleted === true);
  }

  async replace(collection: Collection, id: string, body: JsonObject, opts: WriteOptions = {}): Promise<StoredDoc> {
    return this.update(collection, id, opts.rev, replaceChange(body));
  }

  async merge(collection: Collection, id: string, patch: JsonObject, opts: WriteOptions = {}): Promise<StoredDoc> {
    return this.update(collection, id, opts.rev, mergeChange(patch));
  }

  async delete(collection: Collection, id: string, opts: DeleteOptions = {}): Promise<StoredDoc> {
    if (opts.hard === true) {
      const tx = this.db.transaction((): StoredDoc => {
        const current = this.get(collection, id, true);
        checkRev(collection, id, opts.rev, current._rev);
        this.stmt('DELETE FROM docs WHERE collection = ? AND id = ?').run(collection, id);
        return current;
      });
      return tx();
    }
    return this.update(collection, id, opts.rev, softDeleteChange);
  }

  async deleteAccount(id: string, opts: WriteOptions = {}): Promise<AccountDoc> {
    const tx = this.db.transaction((): AccountDoc => {
      const owned = this
        .stmt<{ collection: Collection; id: string }>(
          "SELECT collection, id FROM docs WHERE account_id = ? AND deleted = 0 AND collection <> 'accounts'",
        )
        .all(id);
      const account = this.update('accounts', id, opts.rev, softDeleteChange);
      for (const o of owned) this.update(o.collection, o.id, undefined, softDeleteChange);
      return account as AccountDoc;
    });
    return tx();
  }

  private stmt<R = unknown>(sql: string): Database.Statement<R> {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare<unknown>(sql);
      this.statements.set(sql, st);
    }
    return st as Database.Statement<R>;
  }

  // --- reads ------------------------------------------------------------------------------

  async list(collection: Collection, accountId: string, opts: ReadOptions = {}): Promise<StoredDoc[]> {
    const sql =
      opts.includeDeleted === true
        ? 'SELECT body FROM docs WHERE collection = ? AND account_id = ? ORDER BY seq'
        : 'SELECT body FROM docs WHERE collection = ? AND account_id = ? AND deleted = 0 ORDER BY seq';
    return this.stmt<Row>(sql).all(collection, accountId).map(parse);
  }

  async findBy(collection: Collection, path: string, value: string | number | boolean, accountId?: string): Promise<StoredDoc[]> {
    assertFieldPath(path);
    // json_extract yields 1/0 for JSON true/false, and SQLite binds no booleans.
    const bound = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    const params: Database.BindValue[] = [collection, `$.${path}`, bound];
    let sql = 'SELECT body FROM docs WHERE collection = ? AND deleted = 0 AND json_extract(body, ?) = ?';
    if (accountId !== undefined) {
      sql += ' AND account_id = ?';
      params.push(accountId);
    }
    return this.stmt<Row>(`${sql} ORDER BY seq`).all(...params).map(parse);
  }

  async findAccountByRealm(realm: string): Promise<AccountDoc | undefined> {
    const row = this
      .stmt<Row>(
        "SELECT body FROM docs WHERE collection = 'accounts' AND lower(json_extract(body, '$.realm')) = lower(?) AND deleted = 0 ORDER BY seq LIMIT 1",
      )
      .get(realm);
    return row === undefined ? undefined : (parse(row) as AccountDoc);
  }

  async findAccountByApiKey(key: string): Promise<AccountDoc | undefined> {
    const row = this
      .stmt<Row>(
        "SELECT body FROM docs WHERE collection = 'accounts' AND json_extract(body, '$.pvt_api_key') = ? AND deleted = 0 LIMIT 1",
      )
      .get(key);
    return row === undefined ? undefined : (parse(row) as AccountDoc);
  }

  async findDeviceBySipCredentials(username: string, realm: string): Promise<SipCredentialsMatch | undefined> {
    const devices = this
      .stmt<Row>(
        "SELECT body FROM docs WHERE collection = 'devices' AND json_extract(body, '$.sip.username') = ? AND deleted = 0 ORDER BY seq",
      )
      .all(username)
      .map(parse);
    const lowerRealm = realm.toLowerCase();
    const byRealm = await this.findAccountByRealm(realm);
    // A device's own sip.realm overrides its account's realm (Kazoo devices.json: sip.realm).
    for (const device of devices) {
      const sip = device['sip'];
      const own = isJsonObject(sip) && typeof sip['realm'] === 'string' ? sip['realm'].toLowerCase() : undefined;
      if (own !== undefined ? own === lowerRealm : byRealm?._id === device.pvt_account_id) {
        const account = own !== undefined ? this.tryAccount(device.pvt_account_id) : byRealm;
        if (account !== undefined) return { account, device };
      }
    }
    return undefined;
  }

  async findCallflowByNumber(accountId: string, number: string): Promise<StoredDoc | undefined> {
    const row = this
      .stmt<Row>(
        `SELECT body FROM docs d WHERE collection = 'callflows' AND account_id = ? AND deleted = 0
           AND EXISTS (SELECT 1 FROM json_each(d.body, '$.numbers') n WHERE n.value = ?) ORDER BY seq LIMIT 1`,
      )
      .get(accountId, number);
    return row === undefined ? undefined : parse(row);
  }

  async findCallflowByNumberAnyAccount(number: string): Promise<StoredDoc | undefined> {
    const row = this
      .stmt<Row>(
        `SELECT body FROM docs d WHERE collection = 'callflows' AND deleted = 0
           AND EXISTS (SELECT 1 FROM json_each(d.body, '$.numbers') n WHERE n.value = ?) ORDER BY seq LIMIT 1`,
      )
      .get(number);
    return row === undefined ? undefined : parse(row);
  }

  async listPatternCallflows(accountId: string): Promise<StoredDoc[]> {
    return this
      .stmt<Row>(
        `SELECT body FROM docs WHERE collection = 'callflows' AND account_id = ? AND deleted = 0
           AND json_array_length(body, '$.patterns') > 0 ORDER BY seq`,
      )
      .all(accountId)
      .map(parse);
  }

  async findResourcesByAddress(address: string): Promise<StoredDoc[]> {
    return this
      .stmt<Row>(
        `SELECT body FROM docs d WHERE collection = 'resources' AND deleted = 0 AND (
           EXISTS (SELECT 1 FROM json_each(d.body, '$.gateways') g WHERE json_extract(g.value, '$.server') = ?)
           OR EXISTS (SELECT 1 FROM json_each(d.body, '$.inbound_ips') i WHERE i.value = ?)) ORDER BY seq`,
      )
      .all(address, address)
      .map(parse);
  }

  async listAllResources(): Promise<StoredDoc[]> {
    return this
      .stmt<Row>("SELECT body FROM docs WHERE collection = 'resources' AND deleted = 0 ORDER BY seq")
      .all()
      .map(parse);
  }

  async listDescendants(accountId: string): Promise<AccountDoc[]> {
    return this
      .stmt<Row>(
        `SELECT body FROM docs d WHERE collection = 'accounts' AND deleted = 0
           AND EXISTS (SELECT 1 FROM json_each(d.body, '$.pvt_tree') t WHERE t.value = ?) ORDER BY seq`,
      )
      .all(accountId)
      .map((r) => parse(r) as AccountDoc);
  }

  async listChildren(accountId: string): Promise<AccountDoc[]> {
    return this
      .stmt<Row>(
        `SELECT body FROM docs WHERE collection = 'accounts' AND deleted = 0
           AND json_extract(body, '$.pvt_tree[#-1]') = ? ORDER BY seq`,
      )
      .all(accountId)
      .map((r) => parse(r) as AccountDoc);
  }

  async isSameOrDescendant(ancestorId: string, accountId: string): Promise<boolean> {
    const account = this.tryAccount(accountId, true);
    if (account === undefined) return false;
    return account._id === ancestorId || account.pvt_tree.includes(ancestorId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // --- internals (synchronous, so they compose inside one SQLite transaction) ---------------

  private insert(collection: Collection, accountId: string, body: JsonObject, id: string, extra: JsonObject): StoredDoc {
    const doc = newDocument(collection, accountId, id, body, extra, Math.floor(this.now() / 1000));
    const exists = this.stmt<Row>('SELECT rev FROM docs WHERE collection = ? AND id = ?').get(collection, id);
    if (exists !== undefined) throw new ConflictError(collection, id, undefined, exists.rev);
    try {
      this
        .stmt('INSERT INTO docs (collection, id, account_id, rev, deleted, body) VALUES (?, ?, ?, ?, 0, ?)')
        .run(collection, id, accountId, doc._rev, JSON.stringify(doc));
    } catch (err) {
      throw uniqueToConflict(err, collection, id);
    }
    return doc;
  }

  private update(collection: Collection, id: string, expectedRev: string | undefined, change: (current: JsonObject) => JsonObject): StoredDoc {
    const tx = this.db.transaction((): StoredDoc => {
      const current = this.get(collection, id, false);
      checkRev(collection, id, expectedRev, current._rev);
      const doc = nextDocument(current, change, Math.floor(this.now() / 1000));
      try {
        this
          .stmt('UPDATE docs SET rev = ?, deleted = ?, body = ? WHERE collection = ? AND id = ?')
          .run(doc._rev, doc.pvt_deleted === true ? 1 : 0, JSON.stringify(doc), collection, id);
      } catch (err) {
        throw uniqueToConflict(err, collection, id);
      }
      return doc;
    });
    return tx();
  }

  private get(collection: Collection, id: string, includeDeleted: boolean): StoredDoc {
    const row = this.stmt<Row>('SELECT body, rev, deleted FROM docs WHERE collection = ? AND id = ?').get(collection, id);
    if (row === undefined || (row.deleted === 1 && !includeDeleted)) throw new NotFoundError(collection, id);
    return parse(row);
  }

  private getAccount(id: string, includeDeleted: boolean): AccountDoc {
    return this.get('accounts', id, includeDeleted) as AccountDoc;
  }

  private tryAccount(id: string, includeDeleted = false): AccountDoc | undefined {
    try {
      return this.getAccount(id, includeDeleted);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}

/** A unique index refusing the write (a live realm taken) is a conflict like CouchDB's 409. */
function uniqueToConflict(err: unknown, collection: string, id: string): unknown {
  return (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? new ConflictError(collection, id, undefined, undefined) : err;
}

function parse(row: Pick<Row, 'body'>): StoredDoc {
  return JSON.parse(row.body) as StoredDoc;
}
