/**
 * What only the PostgreSQL store has: schema migrations shared by nodes starting together, a
 * bounded pool, statement timeouts, and a server that goes away and comes back.
 */
import t from 'tap';
import { Client } from 'pg';
import { parseConfig } from '../../../src/config';
import { ConfigError } from '../../../src/config/errors';
import { ConflictError, MIGRATIONS, PostgresDocumentStore, StoreUnavailableError, migrate, openStore } from '../../../src/store';
import { startPostgres } from '../../helpers/postgres';

t.test('postgres operations', async (t) => {
  const pg = await startPostgres(t);

  t.test('nodes starting together apply each migration once', async (t) => {
    const url = await pg.createDatabase();
    const clients = [1, 2, 3, 4].map(() => new Client({ connectionString: url }));
    await Promise.all(clients.map((c) => c.connect()));
    t.teardown(() => Promise.all(clients.map((c) => c.end())));
    const applied = await Promise.all(clients.map((c) => migrate(c)));
    t.same(applied.flat().sort(), MIGRATIONS.map((m) => m.version), 'every version applied by exactly one of them');
    const stores = await Promise.all([1, 2].map(() => PostgresDocumentStore.open({ url })));
    t.teardown(() => Promise.all(stores.map((s) => s.close())));
    t.same(await migrate(clients[0]), [], 'a later start applies nothing');
    const { rows } = await clients[0].query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    t.same(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version), 'one row per version');
    const acc = await stores[0].createAccount(null, { name: 'shared', realm: 'shared.example.com' });
    t.same(await stores[1].readAccount(acc._id), acc, 'what one node writes the other reads');
  });

  t.test('two nodes writing the same revision at once: one wins, one conflicts', async (t) => {
    const url = await pg.createDatabase();
    const [a, b] = await Promise.all([1, 2].map(() => PostgresDocumentStore.open({ url })));
    t.teardown(() => Promise.all([a.close(), b.close()]));
    const acc = await a.createAccount(null, { name: 'race', realm: 'race.example.com' });
    // Hold the row so both writes have read before either writes: the window where a plain
    // read-check-write would let both through.
    const holder = new Client({ connectionString: url });
    await holder.connect();
    t.teardown(() => holder.end());
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM docs WHERE collection = 'accounts' AND id = $1 FOR UPDATE", [acc._id]);
    const writes = Promise.allSettled([a.merge('accounts', acc._id, { by: 'a' }, { rev: acc._rev }), b.merge('accounts', acc._id, { by: 'b' }, { rev: acc._rev })]);
    for (let i = 0; i < 100; i++) {
      const { rows } = await holder.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'b2bua'");
      if (rows[0]?.n === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await holder.query('ROLLBACK');
    const results = await writes;
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one write succeeds');
    t.ok(results.some((r) => r.status === 'rejected' && r.reason instanceof ConflictError), 'the other gets ConflictError');
  });

  t.test('the service opens it from configuration', async (t) => {
    const url = await pg.createDatabase();
    const config = parseConfig({ store: { driver: 'postgres', url } }).store;
    t.same(config.pool, { max: 10, connectTimeoutMs: 5000, statementTimeoutMs: 5000, idleTimeoutMs: 30000 }, 'pool defaults');
    const store = await openStore(config);
    t.teardown(() => store.close());
    t.ok(store instanceof PostgresDocumentStore);
    await t.rejects(openStore(parseConfig({ store: { driver: 'postgres' } }).store), ConfigError, 'store.url required');
  });

  t.test('statement timeout and a bounded pool fail fast with StoreUnavailableError', async (t) => {
    const url = await pg.createDatabase();
    const store = await PostgresDocumentStore.open({ url, pool: { max: 1, statementTimeoutMs: 300, connectTimeoutMs: 200 } });
    t.teardown(() => store.close());
    const acc = await store.createAccount(null, { name: 'lock', realm: 'lock.example.com' });
    // Another node holds the row lock and never commits.
    const other = new Client({ connectionString: url });
    await other.connect();
    t.teardown(() => other.end());
    await other.query('BEGIN');
    await other.query("SELECT 1 FROM docs WHERE collection = 'accounts' AND id = $1 FOR UPDATE", [acc._id]);
    const started = Date.now();
    const blocked = store.merge('accounts', acc._id, { name: 'x' });
    // The pool's one connection is busy: a second request waits connectTimeoutMs at most.
    await t.rejects(store.readAccount(acc._id), StoreUnavailableError, 'no connection within connectTimeoutMs');
    await t.rejects(blocked, StoreUnavailableError, 'statement cancelled by statement_timeout');
    t.ok(Date.now() - started < 3000, `both failed fast (${Date.now() - started} ms)`);
    await other.query('ROLLBACK');
    t.equal((await store.merge('accounts', acc._id, { name: 'y' }))['name'], 'y', 'the pool recovered');
  });

  t.test('PostgreSQL stopped and started again: clear errors, no crash, recovers alone', async (t) => {
    const url = await pg.createDatabase();
    const idleErrors: Error[] = [];
    const store = await PostgresDocumentStore.open({ url, pool: { connectTimeoutMs: 500 }, onIdleError: (e) => idleErrors.push(e) });
    t.teardown(() => store.close());
    const acc = await store.createAccount(null, { name: 'outage', realm: 'outage.example.com' });

    await pg.stop();
    t.ok(idleErrors.length > 0, 'idle connections lost are reported, not thrown');
    await t.rejects(store.readAccount(acc._id), StoreUnavailableError, 'read while down');
    await t.rejects(store.merge('accounts', acc._id, { a: 1 }), StoreUnavailableError, 'write while down');
    const withPassword = url.replace('postgres@', 'postgres:s3cret-pw@');
    const down = await PostgresDocumentStore.open({ url: withPassword, pool: { connectTimeoutMs: 500 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(down, StoreUnavailableError, 'opening while down fails with StoreUnavailableError');
    t.notMatch(String((down as Error).message), /s3cret/, 'no password in the message');

    await pg.start();
    t.equal((await store.readAccount(acc._id))['name'], 'outage', 'reads work again without reopening');
    t.equal((await store.merge('accounts', acc._id, { a: 2 }))['a'], 2, 'writes too');
  });
});
