/**
 * GET /v2/accounts/{A}/channels/events over real HTTP: the token by header or `?auth_token=`
 * (never written to the log), the same tenancy as the channels route (401 / 403), the list at
 * once and again when it changes, heartbeats, the per-account bound (429), `expired` when the
 * token goes, `suspended` when its account is disabled, and app.close() ending open streams. Also the web page's static route: types,
 * caching, and no way out of its directory. The ChannelSource is a table the test edits (the
 * port the service fills from its calls; the browser test drives the real one).
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { MemoryTokenStore, startApiServer } from '../../../src/api';
import { channelsRoute, type ChannelSource } from '../../../src/api/routes/channels';
import { uiFile, uiRoute } from '../../../src/api/routes/ui';
import { ApiSection, type ApiConfig } from '../../../src/config/sections/api';
import { SqliteDocumentStore, type JsonObject } from '../../../src/store';
import { freePort } from '../../helpers/ports';
import { readUntil } from '../../helpers/sse';

class TableChannels implements ChannelSource {
  readonly rows = new Map<string, JsonObject[]>();
  list(accountId: string): JsonObject[] {
    return this.rows.get(accountId) ?? [];
  }
  get(): JsonObject | undefined {
    return undefined;
  }
  async metaflow(): Promise<boolean> {
    return false;
  }
  async hangup(): Promise<boolean> {
    return false;
  }
}

t.test('channel events over HTTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'api-sse-'));
  const store = new SqliteDocumentStore({ path: join(dir, 'b2bua.sqlite') });
  const config = Value.Default(ApiSection, { port: await freePort() }) as ApiConfig;
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
  const source = new TableChannels();
  const tokens = new MemoryTokenStore(3600_000, Date.now);
  const uiDir = join(dir, 'ui');
  mkdirSync(uiDir);
  writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(uiDir, 'main-ABC.js'), 'export {};');
  const { app, url } = await startApiServer({
    store, config, logger, tokens,
    routes: [channelsRoute(source, { perAccount: 2, pollMs: 50, heartbeatMs: 200, accountCheckMs: 100 }), uiRoute(uiDir)],
  });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const parent = await store.createAccount(null, { name: 'parent', realm: 'p.test', pvt_api_key: 'parent-key' });
  const child = await store.createAccount(parent._id, { name: 'child', realm: 'c.test' });
  const other = await store.createAccount(null, { name: 'other', realm: 'o.test' });
  const token = (await tokens.issue(parent._id)).token;
  const open = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
  const events = (acct: string): string => `/v2/accounts/${acct}/channels/events`;

  t.equal((await open(events(parent._id))).status, 401, 'no token: 401');
  t.equal((await open(`${events(other._id)}?auth_token=${token}`)).status, 403, "another tree's account: 403");
  t.equal((await open(`/v2/accounts/${parent._id}/channels?auth_token=${token}`)).status, 401, 'the query token is taken by the events route only');

  source.rows.set(child._id, [{ uuid: 'call-1', state: 'answered' }]);
  const res = await open(`${events(child._id)}?auth_token=${token}`);
  t.equal(res.status, 200, 'a descendant account through ?auth_token=');
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const seen = { text: '' };
  await readUntil(reader, seen, /event: channels\ndata: \[\{"uuid":"call-1","state":"answered"\}\]\n\n/);
  t.pass('the list at once');
  source.rows.set(child._id, []);
  await readUntil(reader, seen, /event: channels\ndata: \[\]\n\n/);
  t.pass('and again when it changes');
  await readUntil(reader, seen, /: heartbeat\n\n/);
  t.pass('heartbeat');
  t.equal(seen.text.match(/event: channels/g)?.length, 2, 'an unchanged list is not sent again');

  const second = await open(events(child._id), { 'x-auth-token': token });
  t.equal(second.status, 200, 'by header too');
  const third = await open(events(child._id), { 'x-auth-token': token });
  t.equal(third.status, 429, 'the third stream of the account: 429');
  t.match(await third.json(), { error: '429', data: { target: 2 } });
  await second.body?.cancel();
  let again: Response | undefined;
  const end = Date.now() + 5000;
  while (again?.status !== 200 && Date.now() < end) {
    await again?.body?.cancel();
    again = await open(events(child._id), { 'x-auth-token': token });
  }
  t.equal(again?.status, 200, 'a closed stream frees its place');

  await tokens.revoke(token);
  await readUntil(reader, seen, /event: expired\n/);
  t.pass('a revoked token ends the stream with `expired`');
  t.notOk(lines.some((l) => l.includes(token)), 'the token never reaches the log');
  t.ok(lines.some((l) => l.includes('auth_token=[redacted]')), 'the request line is logged redacted');

  // The account's token is still good, but its parent suspends it: the stream says so and ends.
  const token3 = (await tokens.issue(child._id)).token;
  const watched = await open(events(child._id), { 'x-auth-token': token3 });
  t.equal(watched.status, 200);
  const reader3 = watched.body?.getReader();
  if (!reader3) throw new Error('no body');
  const seen3 = { text: '' };
  await readUntil(reader3, seen3, /event: channels/);
  await store.merge('accounts', child._id, { enabled: false });
  await readUntil(reader3, seen3, /event: suspended\n/);
  t.pass('disabling the account ends its open stream with `suspended`');
  t.equal((await reader3.read()).done, true, 'and the stream is closed');

  const token2 = (await tokens.issue(parent._id)).token;
  const lingering = await open(events(parent._id), { 'x-auth-token': token2 });
  t.equal(lingering.status, 200);
  const t0 = Date.now();
  await app.close();
  closed = true;
  t.ok(Date.now() - t0 < 3000, 'close() ends the open streams instead of waiting for them');
  await again?.body?.cancel();
});

t.test('the web page route', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'api-ui-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteDocumentStore({ path: join(dir, 'b2bua.sqlite') });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'main-ABC.js'), 'export {};');
  const config = Value.Default(ApiSection, {}) as ApiConfig;
  const { app } = await import('../../../src/api').then((m) => m.buildApiServer({ store, config, routes: [uiRoute(dir)] }));
  t.teardown(async () => { await app.close(); await store.close(); });
  for (const path of ['/ui', '/ui/']) {
    const r = await app.inject({ url: path });
    t.equal(r.statusCode, 200, `${path}: index.html without a token`);
    t.match(r.headers['content-type'], /^text\/html/);
    t.equal(r.headers['cache-control'], 'no-cache');
    t.match(r.headers['content-security-policy'], /default-src 'self'/);
  }
  const js = await app.inject({ url: '/ui/main-ABC.js' });
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.match(js.headers['cache-control'], /max-age=31536000, immutable/, 'hashed bundles cached for a year');
  for (const path of ['/ui/missing.js', '/ui/..%2fb2bua.sqlite', '/ui/b2bua.sqlite', '/ui/.hidden']) {
    t.equal((await app.inject({ url: path })).statusCode, 404, `${path}: 404`);
  }
  // `..` (literal or %2e%2e) is resolved before routing: /b2bua.sqlite is no route (401 as any).
  for (const path of ['/ui/../b2bua.sqlite', '/ui/%2e%2e/b2bua.sqlite']) t.equal((await app.inject({ url: path })).statusCode, 401, `${path}: not served`);
});

t.test('uiFile: names inside the directory only', async (t) => {
  const cases: [string, string | undefined][] = [
    ['', '/r/index.html'], ['a.js', '/r/a.js'], ['sub/a.css', '/r/sub/a.css'],
    ['../x', undefined], ['a/../../x', undefined], ['.env', undefined], ['a//b', undefined], ['/etc/passwd', undefined], ['a%2f..', undefined],
  ];
  for (const [rest, want] of cases) t.equal(uiFile('/r', rest), want, JSON.stringify(rest));
});
