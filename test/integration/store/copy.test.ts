/** `npm run store:copy`: a SQLite store copied into PostgreSQL, ids and revisions kept, rerunnable. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { COLLECTIONS, PostgresDocumentStore, SqliteDocumentStore, type DocumentStore, type StoredDoc } from '../../../src/store';
import { startPostgres } from '../../helpers/postgres';

const CLI = join(__dirname, '../../../src/store/copy-cli.js');
const run = promisify(execFile);

async function copy(from: string, to: string): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [CLI, '--from', from, '--to', to], { timeout: 30_000 });
  return JSON.parse(stdout) as Record<string, number>;
}

/** Every document of every account, deleted ones included, in each collection's list order. */
async function everything(store: DocumentStore, accountIds: string[]): Promise<StoredDoc[]> {
  const out: StoredDoc[] = [];
  for (const c of COLLECTIONS) for (const a of accountIds) out.push(...(await store.list(c, a, { includeDeleted: true })));
  return out;
}

t.test('store:copy', async (t) => {
  const pg = await startPostgres(t);
  const dir = mkdtempSync(join(tmpdir(), 'store-copy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'b2bua.sqlite');
  const sqlite = new SqliteDocumentStore({ path: file });
  t.teardown(() => sqlite.close());

  const root = await sqlite.createAccount(null, { name: 'root', realm: 'root.example.com' });
  const child = await sqlite.createAccount(root._id, { name: 'child', realm: 'child.example.com' });
  const dev = await sqlite.create('devices', child._id, { name: 'desk', sip: { username: '1001', password: 'pw' } });
  await sqlite.merge('devices', dev._id, { name: 'desk 2' });
  const gone = await sqlite.create('users', child._id, { first_name: 'gone' });
  await sqlite.delete('users', gone._id);
  await sqlite.create('callflows', child._id, { numbers: ['1001'], flow: { module: 'device', data: { id: dev._id } } });
  const ids = [root._id, child._id];
  const source = await everything(sqlite, ids);

  const url = await pg.createDatabase();
  t.same(await copy(file, url), { read: 5, inserted: 5, updated: 0, kept: 0 }, 'every document inserted');
  const target = await PostgresDocumentStore.open({ url });
  t.teardown(() => target.close());
  t.same(await everything(target, ids), source, 'same documents, ids, revisions and order');
  t.match(await target.read('devices', dev._id), { _rev: /^2-/, name: 'desk 2' }, 'revision number kept');
  t.equal((await target.findDeviceBySipCredentials('1001', 'child.example.com'))?.device._id, dev._id, 'indexes answer for copied documents');
  t.same(await target.listDescendants(root._id).then((l) => l.map((a) => a._id)), [child._id], 'account tree kept');

  t.same(await copy(file, url), { read: 5, inserted: 0, updated: 0, kept: 5 }, 'a second run changes nothing');
  const edited = await target.merge('accounts', child._id, { note: 'written on PostgreSQL' });
  await sqlite.merge('devices', dev._id, { name: 'desk 3' });
  t.same(await copy(file, url), { read: 5, inserted: 0, updated: 1, kept: 4 }, 'a newer SQLite revision is copied over');
  t.equal((await target.read('devices', dev._id))['name'], 'desk 3');
  t.same(await target.readAccount(child._id), edited, 'a document changed on PostgreSQL since is not overwritten');

  const usage = await run(process.execPath, [CLI, '--from', file], { timeout: 10_000 }).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.match(usage, { code: 1, stderr: /usage: store:copy/ }, 'missing --to: usage, exit 1');
  await pg.stop();
  const down = await run(process.execPath, [CLI, '--from', file, '--to', url.replace('postgres@', 'postgres:s3cret@')], { timeout: 30_000 })
    .then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.match(down, { code: 1, stderr: /store unavailable/ }, 'PostgreSQL down: exit 1, says why');
  t.notMatch(down?.stderr ?? '', /s3cret/, 'without the password');
});
