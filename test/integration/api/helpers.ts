import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../../src/api';
import { Value } from '@sinclair/typebox/value';
import { ApiSection, type ApiConfig } from '../../../src/config/sections/api';
import { SqliteDocumentStore, type DocumentStore, type JsonObject, type JsonValue } from '../../../src/store';

export const BOOTSTRAP_KEY = 'bootstrap-key-for-tests';

export interface Reply {
  status: number;
  body: {
    data: JsonValue;
    status: 'success' | 'error';
    error?: string;
    message?: string;
    revision?: string;
    request_id: string;
    auth_token: string;
  };
  headers: Record<string, unknown>;
}

export interface TestApi {
  app: FastifyInstance;
  store: DocumentStore;
  /** The clock the API sees (ms); tests move it to expire tokens. */
  clock: { now: number };
  req(method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', url: string, token?: string, data?: JsonValue, headers?: Record<string, string>): Promise<Reply>;
  login(apiKey: string): Promise<{ token: string; accountId: string }>;
}

/**
 * The API over a real SQLite file in a temp directory (or over `store`, closed in teardown),
 * driven with fastify.inject.
 */
export async function makeApi(t: { teardown(fn: () => unknown): void }, given?: DocumentStore): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'api-test-'));
  const store = given ?? new SqliteDocumentStore({ path: join(dir, 'b2bua.sqlite') });
  const clock = { now: Date.UTC(2026, 0, 1) };
  const config = Value.Default(ApiSection, { bootstrapApiKey: BOOTSTRAP_KEY, tokenTtlSec: 3600 }) as ApiConfig;
  const { app } = buildApiServer({ store, config, now: () => clock.now });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const req: TestApi['req'] = async (method, url, token, data, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (token !== undefined) h['x-auth-token'] = token;
    const res = await app.inject({
      method,
      url,
      headers: data === undefined ? h : { 'content-type': 'application/json', ...h },
      payload: data === undefined ? undefined : JSON.stringify({ data }),
    });
    return { status: res.statusCode, body: res.json() as Reply['body'], headers: res.headers };
  };
  const login: TestApi['login'] = async (apiKey) => {
    const r = await req('PUT', '/v2/api_auth', undefined, { api_key: apiKey });
    if (r.status !== 201) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
    return { token: r.body.auth_token, accountId: (r.body.data as JsonObject)['account_id'] as string };
  };
  return { app, store, clock, req, login };
}

export function dataOf(r: Reply): JsonObject {
  return r.body.data as JsonObject;
}

/** The master's session with the two steps every tenancy test repeats: make a child account, log in as an account. */
export interface MasterSession {
  master: { token: string; accountId: string };
  /** Creates a child of `parent` named `name` (realm `<name>.example.com`); its id. */
  mk(parent: string, name: string): Promise<string>;
  /** The account's own API key (read by the master). */
  keyOf(id: string): Promise<string>;
  /** A token of the account (logs in with its key). */
  tokenOf(id: string): Promise<string>;
}

export async function asMaster(api: TestApi): Promise<MasterSession> {
  const master = await api.login(BOOTSTRAP_KEY);
  const mk = async (parent: string, name: string): Promise<string> =>
    dataOf(await api.req('PUT', `/v2/accounts/${parent}`, master.token, { name, realm: `${name}.example.com` }))['id'] as string;
  const keyOf = async (id: string): Promise<string> => dataOf(await api.req('GET', `/v2/accounts/${id}/api_key`, master.token))['api_key'] as string;
  const tokenOf = async (id: string): Promise<string> => (await api.login(await keyOf(id))).token;
  return { master, mk, keyOf, tokenOf };
}
