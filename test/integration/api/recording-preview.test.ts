/**
 * GET /v2/accounts/{A}/call_recording/preview: the policy module's answer for the four call
 * types with the account's settings and the named devices (and their owners); tenancy as
 * everywhere (another tree's account 403, another account's device 404).
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { MemoryTokenStore, buildApiServer } from '../../../src/api';
import { recordingPreviewRoute } from '../../../src/api/routes/recording-preview';
import { ApiSection, type ApiConfig } from '../../../src/config/sections/api';
import { SqliteDocumentStore, type JsonObject } from '../../../src/store';

t.test('recording preview', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'api-preview-'));
  const store = new SqliteDocumentStore({ path: join(dir, 'b2bua.sqlite') });
  const tokens = new MemoryTokenStore(3600_000, Date.now);
  const { app } = buildApiServer({ store, config: Value.Default(ApiSection, {}) as ApiConfig, tokens, routes: [recordingPreviewRoute] });
  t.teardown(async () => { await app.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const acct = await store.createAccount(null, { name: 'a', realm: 'a.test', call_recording: { account: { inbound: { offnet: { enabled: true, url: 'http://r.test/acct' } } } } });
  const other = await store.createAccount(null, { name: 'b', realm: 'b.test' });
  const user = await store.create('users', acct._id, { first_name: 'U', call_recording: { outbound: { offnet: { enabled: true, url: 'http://r.test/user', format: 'wav' } } } });
  const dev = await store.create('devices', acct._id, { name: 'd', owner_id: user._id, sip: { username: 'd', password: 'p' } });
  const foreign = await store.create('devices', other._id, { name: 'x', sip: { username: 'x', password: 'p' } });
  const token = (await tokens.issue(acct._id)).token;
  const get = async (url: string): Promise<{ status: number; data: JsonObject[] }> => {
    const r = await app.inject({ url, headers: { 'x-auth-token': token } });
    return { status: r.statusCode, data: (r.json() as { data: JsonObject[] }).data };
  };
  const base = `/v2/accounts/${acct._id}/call_recording/preview`;
  const r = await get(`${base}?caller_device_id=${dev._id}`);
  t.equal(r.status, 200);
  t.same(r.data.map((x) => `${x['caller']}>${x['callee']}`), ['onnet>onnet', 'onnet>offnet', 'offnet>onnet', 'offnet>offnet'], 'the four call types');
  const by = (from: string, to: string): unknown => r.data.find((x) => x['caller'] === from && x['callee'] === to)?.['recordings'];
  t.same(by('onnet', 'onnet'), [], 'onnet to onnet: nobody');
  t.match(by('onnet', 'offnet'), [{ by: 'caller endpoint', origin: 'outbound to offnet from endpoint', format: 'wav', url: 'http://r.test/user' }], "the caller's owner (through the device)");
  t.match(by('offnet', 'onnet'), [{ by: 'account', origin: 'inbound from offnet to account', url: 'http://r.test/acct' }]);
  t.equal((by('offnet', 'offnet') as unknown[]).length, 1, 'offnet to offnet: the account (inbound from offnet)');
  t.equal((await get(`${base}?callee_device_id=${foreign._id}`)).status, 404, "another account's device: 404");
  t.equal((await get(`/v2/accounts/${other._id}/call_recording/preview`)).status, 403, "another tree's account: 403");
});
