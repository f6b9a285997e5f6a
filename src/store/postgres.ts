import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { ConflictError, InvalidDocumentError, NotFoundError, StoreUnavailableError } from './errors';
import { storeError } from './postgres-errors';
import { isJsonObject, newId } from './doc';
import { migrate } from './migrations';
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

export interface PostgresPoolOptions {
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  pool?: Partial<PostgresPoolOptions>;
  /** Milliseconds since the epoch; injectable so tests can control timestamps. */
  now?: () => number;
  /** A pooled connection failed while idle (server restarted...); the pool replaces it. */
  onIdleError?: (err: Error) => void;
  /** A request failed with StoreUnavailableError (counted by the service's metrics). */
  onUnavailable?: (err: StoreUnavailableError) => void;
}

interface Row extends QueryResultRow {
  body: StoredDoc;
  rev: string;
  deleted: boolean;
}

type Runner = Pick<PoolClient, 'query'>;

const DEFAULT_POOL: PostgresPoolOptions = { max: 10, connectTimeoutMs: 5000, statementTimeoutMs: 5000, idleTimeoutMs: 30000 };

/**
 * The store of several nodes: one PostgreSQL database, shared. Same documents, revisions and
 * rules as the SQLite store (the write logic is shared, see write.ts); every read-modify-write
 * is one transaction holding the row lock (SELECT ... FOR UPDATE), so two nodes writing the
 * same document with the same revision get one success and one ConflictError.
 */
export class PostgresDocumentStore implements DocumentStore {
  private readonly pool: Pool;
  private readonly now: () => number;
  private readonly onUnavailable: (err: StoreUnavailableError) => void;
  private closed = false;

  private constructor(opts: PostgresStoreOptions) {
    const p = { ...DEFAULT_POOL, ...opts.pool };
    this.pool = new Pool({
      connectionString: opts.url,
      max: p.max,
      connectionTimeoutMillis: p.connectTimeoutMs,
      idleTimeoutMillis: p.idleTimeoutMs,
      statement_timeout: p.statementTimeoutMs,
      // A server that stops answering without closing the socket: give up a little after the
      // server-side timeout would have.
      query_timeout: p.statementTimeoutMs + 1000,
      keepAlive: true,
      application_name: 'b2bua',
    });
    // Without a listener an idle connection's error (server restart) would crash the process.
    this.pool.on('error', (err) => opts.onIdleError?.(err));
    this.now = opts.now ?? Date.now;
    this.onUnavailable = opts.onUnavailable ?? (() => undefined);
  }

  /** Connections open, idle, and requests waiting for one (for metrics). */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** Connects, applies the pending schema migrations, and returns the open store. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresDocumentStore> {
    const store = new PostgresDocumentStore(opts);
    try {
      const client = await store.pool.connect().catch((err: unknown) => {
        throw storeError(err);
      });
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await store.pool.end();
      throw storeError(err);
    }
    return store;
  }

  // --- writes -----------------------------------------------------------------------------

  async create(collection: Collection, accountId: string, body: JsonObject, opts: CreateOptions = {}): Promise<StoredDoc> {
    if (collection === 'accounts') throw new InvalidDocumentError('use createAccount for accounts');
    const doc = newDocument(collection, accountId, opts.id ?? newId(), body, {}, this.nowSec());
    return this.run(collection, doc._id, (db) => insert(db, collection, doc));
  }

  async createAccount(parentId: string | null, body: JsonObject, opts: CreateOptions = {}): Promise<AccountDoc> {
    const id = opts.id ?? newId();
    return this.tx('accounts', id, async (db) => {
      let tree: string[] = [];
      if (parentId !== null) {
        // FOR SHARE: the parent cannot be deleted by another node until this account exists.
        const parent = (await get(db, 'accounts', parentId, false, 'FOR SHARE')) as AccountDoc;
        tree = [...parent.pvt_tree, parent._id];
      }
      return (await insert(db, 'accounts', newDocument('accounts', id, id, body, { pvt_tree: tree }, this.nowSec()))) as AccountDoc;
    });
  }

  async read(collection: Collection, id: string, opts: ReadOptions = {}): Promise<StoredDoc> {
    return this.run(collection, id, (db) => get(db, collection, id, opts.includeDeleted === true));
  }

  async readAccount(id: string, opts: ReadOptions = {}): Promise<AccountDoc> {
    return (await this.read('accounts', id, opts)) as AccountDoc;
  }

  async replace(collection: Collection, id: string, body: JsonObject, opts: WriteOptions = {}): Promise<StoredDoc> {
    const change = replaceChange(body);
    return this.tx(collection, id, (db) => this.update(db, collection, id, opts.rev, change));
  }

  async merge(collection: Collection, id: string, patch: JsonObject, opts: WriteOptions = {}): Promise<StoredDoc> {
    const change = mergeChange(patch);
    return this.tx(collection, id, (db) => this.update(db, collection, id, opts.rev, change));
  }

  async delete(collection: Collection, id: string, opts: DeleteOptions = {}): Promise<StoredDoc> {
    if (opts.hard !== true) return this.tx(collection, id, (db) => this.update(db, collection, id, opts.rev, softDeleteChange));
    return this.tx(collection, id, async (db) => {
      const current = await get(db, collection, id, true, 'FOR UPDATE');
      checkRev(collection, id, opts.rev, current._rev);
      await db.query('DELETE FROM docs WHERE collection = $1 AND id = $2', [collection, id]);
      return current;
    });
  }

  async deleteAccount(id: string, opts: WriteOptions = {}): Promise<AccountDoc> {
    return this.tx('accounts', id, async (db) => {
      const account = await this.update(db, 'accounts', id, opts.rev, softDeleteChange);
      const owned = await db.query<Row>(
        "SELECT body, rev, deleted FROM docs WHERE account_id = $1 AND NOT deleted AND collection <> 'accounts' ORDER BY seq FOR UPDATE",
        [id],
      );
      for (const row of owned.rows) await write(db, nextDocument(row.body, softDeleteChange, this.nowSec()), collectionOf(row.body));
      return account as AccountDoc;
    });
  }

  // --- reads ------------------------------------------------------------------------------

  async list(collection: Collection, accountId: string, opts: ReadOptions = {}): Promise<StoredDoc[]> {
    const live = opts.includeDeleted === true ? '' : ' AND NOT deleted';
    return this.all(`SELECT body FROM docs WHERE collection = $1 AND account_id = $2${live} ORDER BY seq`, [collection, accountId]);
  }

  async findBy(collection: Collection, path: string, value: string | number | boolean, accountId?: string): Promise<StoredDoc[]> {
    assertFieldPath(path);
    // jsonb equality compares types too, as SQLite's json_extract does: "1" does not match 1.
    const params: unknown[] = [collection, path.split('.'), JSON.stringify(value)];
    let sql = 'SELECT body FROM docs WHERE collection = $1 AND NOT deleted AND body #> $2::text[] = $3::jsonb';
    if (accountId !== undefined) {
      sql += ' AND account_id = $4';
      params.push(accountId);
    }
    return this.all(`${sql} ORDER BY seq`, params);
  }

  async findAccountByRealm(realm: string): Promise<AccountDoc | undefined> {
    const [doc] = await this.all(
      "SELECT body FROM docs WHERE collection = 'accounts' AND lower(body->>'realm') = lower($1) AND NOT deleted ORDER BY seq LIMIT 1",
      [realm],
    );
    return doc as AccountDoc | undefined;
  }

  async findAccountByApiKey(key: string): Promise<AccountDoc | undefined> {
    const [doc] = await this.all("SELECT body FROM docs WHERE collection = 'accounts' AND body->>'pvt_api_key' = $1 AND NOT deleted LIMIT 1", [key]);
    return doc as AccountDoc | undefined;
  }

  async findDeviceBySipCredentials(username: string, realm: string): Promise<SipCredentialsMatch | undefined> {
    const devices = await this.all(
      "SELECT body FROM docs WHERE collection = 'devices' AND body->'sip'->>'username' = $1 AND NOT deleted ORDER BY seq",
      [username],
    );
    const lowerRealm = realm.toLowerCase();
    const byRealm = await this.findAccountByRealm(realm);
    // A device's own sip.realm overrides its account's realm (Kazoo devices.json: sip.realm).
    for (const device of devices) {
      const sip = device['sip'];
      const own = isJsonObject(sip) && typeof sip['realm'] === 'string' ? sip['realm'].toLowerCase() : undefined;
      if (own !== undefined ? own === lowerRealm : byRealm?._id === device.pvt_account_id) {
        const account = own !== undefined ? await this.tryAccount(device.pvt_account_id, false) : byRealm;
        if (account !== undefined) return { account, device };
      }
    }
    return undefined;
  }

  async findCallflowByNumber(accountId: string, number: string): Promise<StoredDoc | undefined> {
    const [doc] = await this.all(
      "SELECT body FROM docs WHERE collection = 'callflows' AND account_id = $1 AND NOT deleted AND body @> jsonb_build_object('numbers', jsonb_build_array($2::text)) ORDER BY seq LIMIT 1",
      [accountId, number],
    );
    return doc;
  }

  async findCallflowByNumberAnyAccount(number: string): Promise<StoredDoc | undefined> {
    const [doc] = await this.all(
      "SELECT body FROM docs WHERE collection = 'callflows' AND NOT deleted AND body @> jsonb_build_object('numbers', jsonb_build_array($1::text)) ORDER BY seq LIMIT 1",
      [number],
    );
    return doc;
  }

  async listPatternCallflows(accountId: string): Promise<StoredDoc[]> {
    // CASE, not AND: PostgreSQL may evaluate AND operands in any order, and jsonb_array_length
    // raises on a non-array.
    return this.all(
      `SELECT body FROM docs WHERE collection = 'callflows' AND account_id = $1 AND NOT deleted
         AND CASE WHEN jsonb_typeof(body->'patterns') = 'array' THEN jsonb_array_length(body->'patterns') > 0 ELSE false END ORDER BY seq`,
      [accountId],
    );
  }

  async findResourcesByAddress(address: string): Promise<StoredDoc[]> {
    return this.all(
      `SELECT body FROM docs WHERE collection = 'resources' AND NOT deleted AND (
         body @> jsonb_build_object('gateways', jsonb_build_array(jsonb_build_object('server', $1::text)))
         OR body @> jsonb_build_object('inbound_ips', jsonb_build_array($1::text))) ORDER BY seq`,
      [address],
    );
  }

  async listAllResources(): Promise<StoredDoc[]> {
    return this.all("SELECT body FROM docs WHERE collection = 'resources' AND NOT deleted ORDER BY seq", []);
  }

  async listDescendants(accountId: string): Promise<AccountDoc[]> {
    return (await this.all(
      "SELECT body FROM docs WHERE collection = 'accounts' AND NOT deleted AND body @> jsonb_build_object('pvt_tree', jsonb_build_array($1::text)) ORDER BY seq",
      [accountId],
    )) as AccountDoc[];
  }

  async listChildren(accountId: string): Promise<AccountDoc[]> {
    return (await this.all(
      "SELECT body FROM docs WHERE collection = 'accounts' AND NOT deleted AND body->'pvt_tree'->>(-1) = $1 ORDER BY seq",
      [accountId],
    )) as AccountDoc[];
  }

  async isSameOrDescendant(ancestorId: string, accountId: string): Promise<boolean> {
    const account = await this.tryAccount(accountId, true);
    if (account === undefined) return false;
    return account._id === ancestorId || account.pvt_tree.includes(ancestorId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // --- internals --------------------------------------------------------------------------

  private nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  private async update(db: Runner, collection: Collection, id: string, expectedRev: string | undefined, change: (c: JsonObject) => JsonObject): Promise<StoredDoc> {
    const current = await get(db, collection, id, false, 'FOR UPDATE');
    checkRev(collection, id, expectedRev, current._rev);
    const doc = nextDocument(current, change, this.nowSec());
    await write(db, doc, collection);
    return doc;
  }

  private async tryAccount(id: string, includeDeleted: boolean): Promise<AccountDoc | undefined> {
    try {
      return (await this.read('accounts', id, { includeDeleted })) as AccountDoc;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  private async all(sql: string, params: unknown[]): Promise<StoredDoc[]> {
    return this.run('docs', '', async (db) => (await db.query<Row>(sql, params)).rows.map((r) => r.body));
  }

  private mapped(err: unknown, collection: string, id: string): Error {
    const out = storeError(err, collection, id);
    // Counted once, where it is first mapped (tx maps errors that run() would map again).
    if (out instanceof StoreUnavailableError && out !== err) this.onUnavailable(out);
    return out;
  }

  /** One statement (autocommit) on a pooled connection, errors mapped to store errors. */
  private async run<T>(collection: string, id: string, fn: (db: Runner) => Promise<T>): Promise<T> {
    try {
      return await fn(this.pool);
    } catch (err) {
      throw this.mapped(err, collection, id);
    }
  }

  /** `fn` in one transaction on one connection; rolled back when it throws. */
  private async tx<T>(collection: string, id: string, fn: (db: Runner) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.mapped(err, collection, id);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      const mapped = this.mapped(err, collection, id);
      if (mapped instanceof StoreUnavailableError) broken = mapped;
      else await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
      throw mapped;
    } finally {
      // A connection that failed mid-transaction is dropped rather than reused.
      client.release(broken);
    }
  }
}

async function get(db: Runner, collection: Collection, id: string, includeDeleted: boolean, lock = ''): Promise<StoredDoc> {
  const { rows } = await db.query<Row>(`SELECT body, rev, deleted FROM docs WHERE collection = $1 AND id = $2 ${lock}`, [collection, id]);
  const row = rows[0];
  if (row === undefined || (row.deleted && !includeDeleted)) throw new NotFoundError(collection, id);
  return row.body;
}

async function insert(db: Runner, collection: Collection, doc: StoredDoc): Promise<StoredDoc> {
  const { rowCount } = await db.query(
    `INSERT INTO docs (collection, id, account_id, rev, deleted, body) VALUES ($1, $2, $3, $4, false, $5::jsonb)
       ON CONFLICT (collection, id) DO NOTHING`,
    [collection, doc._id, doc.pvt_account_id, doc._rev, JSON.stringify(doc)],
  );
  if (rowCount === 0) {
    const { rows } = await db.query<Row>('SELECT rev FROM docs WHERE collection = $1 AND id = $2', [collection, doc._id]);
    throw new ConflictError(collection, doc._id, undefined, rows[0]?.rev);
  }
  return doc;
}

async function write(db: Runner, doc: StoredDoc, collection: Collection): Promise<void> {
  await db.query('UPDATE docs SET rev = $1, deleted = $2, body = $3::jsonb WHERE collection = $4 AND id = $5', [
    doc._rev, doc.pvt_deleted === true, JSON.stringify(doc), collection, doc._id,
  ]);
}

/** deleteAccount walks documents of every collection; pvt_type tells which one a row is in. */
function collectionOf(doc: StoredDoc): Collection {
  const byType: Record<string, Collection> = {
    account: 'accounts', user: 'users', device: 'devices', callflow: 'callflows', resource: 'resources', call_recording: 'recordings', call: 'calls',
  };
  const c = byType[doc.pvt_type];
  if (c === undefined) throw new InvalidDocumentError(`document ${doc._id} has unknown pvt_type ${doc.pvt_type}`);
  return c;
}
