import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { startApiServer } from '../../../src/api';
import { ApiSection, type ApiConfig } from '../../../src/config/sections/api';
import { SqliteDocumentStore, type JsonObject } from '../../../src/store';
import { freePort } from '../../helpers/ports';

const run = promisify(execFile);

/** Real HTTP on 127.0.0.1 (a free port below 40000), driven by fetch and by curl with the spec's command line. */
t.test("over real HTTP: api_auth, then the spec's curl PATCH as written", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'api-http-'));
  const store = new SqliteDocumentStore({ path: join(dir, 'b2bua.sqlite') });
  const config = Value.Default(ApiSection, { port: await freePort(), bootstrapApiKey: 'http-bootstrap' }) as ApiConfig;
  const { app, url } = await startApiServer({ store, config });
  t.teardown(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'bound to loopback by default');

  const call = async (method: string, path: string, token?: string, data?: JsonObject): Promise<{ status: number; body: JsonObject; headers: Headers }> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers['x-auth-token'] = token;
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: data === undefined ? undefined : JSON.stringify({ data }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as JsonObject, headers: res.headers };
  };

  const auth = await call('PUT', '/v2/api_auth', undefined, { api_key: 'http-bootstrap' });
  t.equal(auth.status, 201);
  const token = auth.body['auth_token'] as string;
  const accountId = (auth.body['data'] as JsonObject)['account_id'] as string;
  t.match(auth.headers.get('x-request-id'), /^[0-9a-f]{32}$/);

  const user = await call('PUT', `/v2/accounts/${accountId}/users`, token, { first_name: 'Sales', last_name: 'Rep' });
  t.equal(user.status, 201);
  const userId = (user.body['data'] as JsonObject)['id'] as string;

  const body = '{"data":{\n    "call_recording":{"inbound":{"offnet":{"enabled":true,"format":"wav","url":"http://rec.example.com/in"}},"outbound":{"offnet":{"enabled":true,"format":"mp3","url":"http://rec.example.com/out"}}}\n    }}';
  const { stdout } = await run(
    'curl',
    ['-s', '-m', '10', '-X', 'PATCH', '-H', `X-Auth-Token: ${token}`, '-H', 'Content-Type: application/json', '-d', body, `${url}/v2/accounts/${accountId}/users/${userId}`],
    { timeout: 15_000 },
  );
  const reply = JSON.parse(stdout) as JsonObject;
  t.equal(reply['status'], 'success');
  t.match(reply['revision'], /^2-/);
  t.same((reply['data'] as JsonObject)['call_recording'], {
    inbound: { offnet: { enabled: true, format: 'wav', url: 'http://rec.example.com/in' } },
    outbound: { offnet: { enabled: true, format: 'mp3', url: 'http://rec.example.com/out' } },
  });

  // curl -d without a Content-Type sends form encoding; Crossbar still reads the body as JSON.
  const { stdout: formOut } = await run(
    'curl',
    ['-s', '-m', '10', '-X', 'PATCH', '-H', `X-Auth-Token: ${token}`, '-d', '{"data":{"email":"rep@example.com"}}', `${url}/v2/accounts/${accountId}/users/${userId}`],
    { timeout: 15_000 },
  );
  t.equal(((JSON.parse(formOut) as JsonObject)['data'] as JsonObject)['email'], 'rep@example.com');

  const read = await call('GET', `/v2/accounts/${accountId}/users/${userId}`, token);
  t.equal(read.headers.get('etag'), `"${read.body['revision'] as string}"`);
  t.equal(((read.body['data'] as JsonObject)['call_recording'] as JsonObject)['inbound'] !== undefined, true);
});
