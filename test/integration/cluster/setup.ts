/**
 * A whole cluster for one test file, every part a real process started here: a private
 * PostgreSQL (store) and Redis (state), N service nodes (`node dist/src/main.js`, SIP on
 * 127.0.0.2, 127.0.0.3, ...; API, rtpengine and recorder on 127.0.0.1) and the shipped
 * Kamailio edge in front of them on 127.0.0.1. Phones (SIPp on 127.0.0.1) talk to the edge.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresDocumentStore } from '../../../src/store';
import { startEdge, type TestEdge } from '../../helpers/kamailio';
import { freePort } from '../../helpers/ports';
import { startPostgres, type PgCluster } from '../../helpers/postgres';
import { startRedis, type TestRedis } from '../../helpers/redis';
import { runSipp } from '../../helpers/sipp';
import { childEnv, startChild, type ChildService } from '../ops/fixtures/child-service';
import { total } from '../ops/fixtures/prom-text';
import { UploadServer } from '../../helpers/upload-server';

export const REALM = 'cluster.test';
export const API_KEY = 'cluster-api-key';

export interface Node {
  id: string;
  /** host:port of its SIP socket. */
  sip: string;
  svc: ChildService;
  e: Awaited<ReturnType<typeof childEnv>>;
}

export interface Cluster {
  pg: PgCluster;
  redis: TestRedis;
  edge: TestEdge;
  nodes: Node[];
  accountId: string;
  dir: string;
  /** Starts node i again on its configuration, files and ports (after a kill). */
  restart(i: number): Promise<Node>;
  /** A value summed over every sample of a metric on node i. */
  metric(i: number, name: string, labels?: Record<string, string>): Promise<number>;
  /** An API token from node i (PUT /v2/api_auth with the account's key). */
  token(i: number): Promise<string>;
  api(i: number, path: string, token: string, init?: RequestInit): Promise<{ status: number; body: { data?: unknown; message?: string } }>;
}

export interface ClusterOptions {
  nodes?: number;
  /** URL recordings of onnet calls are uploaded to (wav). */
  uploadUrl: string;
  /** Environment of every node (B2BUA_*), over the cluster's own. */
  env?: Record<string, string>;
  pingIntervalSec?: number;
  /** A resource registering (register: true) to this provider port on 127.0.0.1. */
  providerPort?: number;
}

type Teardown = { teardown(fn: () => unknown): void };

/** Account with phones 1001 and 2001, number 2000 rings 2001, every onnet call recorded (wav). */
async function seed(url: string, uploadUrl: string, providerPort?: number): Promise<string> {
  const store = await PostgresDocumentStore.open({ url, pool: { max: 2, connectTimeoutMs: 5000, statementTimeoutMs: 5000, idleTimeoutMs: 1000 } });
  try {
    const acct = await store.createAccount(null, {
      name: 'cluster', realm: REALM, pvt_api_key: API_KEY,
      call_recording: { account: { inbound: { onnet: { enabled: true, url: `${uploadUrl}/rec`, format: 'wav' } } } },
    });
    const dev = async (u: string): Promise<string> => (await store.create('devices', acct._id, { name: `phone ${u}`, sip: { username: u, password: `pw-${u}` } }))._id;
    await dev('1001');
    const callee = await dev('2001');
    await store.create('callflows', acct._id, { numbers: ['2000'], flow: { module: 'device', data: { id: callee } } });
    if (providerPort !== undefined) {
      await store.create('resources', acct._id, {
        name: 'provider', rules: ['^\\+1'],
        gateways: [{ server: '127.0.0.1', port: providerPort, realm: 'provider.test', username: 'trunkuser', password: 'trunkpass', register: true }],
      });
    }
    return acct._id;
  } finally {
    await store.close();
  }
}

export async function startCluster(t: Teardown, o: ClusterOptions): Promise<Cluster> {
  const pg = await startPostgres(t);
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const storeUrl = await pg.createDatabase();
  const accountId = await seed(storeUrl, o.uploadUrl, o.providerPort);
  const dir = mkdtempSync(join(tmpdir(), 'cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const count = o.nodes ?? 2;
  const nodes: Node[] = [];
  t.teardown(() => { for (const n of nodes) n.svc.child.kill('SIGKILL'); });
  const envs = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const host = `127.0.0.${2 + i}`;
    const port = await freePort(host);
    const e = await childEnv({
      B2BUA_LOG_LEVEL: process.env.B2BUA_TEST_LOG ?? 'info',
      B2BUA_ENGINE__SIP__LISTEN: JSON.stringify([{ host, port, transports: ['udp'] }]),
      B2BUA_STORE__DRIVER: 'postgres',
      B2BUA_STORE__URL: storeUrl,
      B2BUA_STORE__POOL__CONNECT_TIMEOUT_MS: '1000',
      B2BUA_STATE__DRIVER: 'redis',
      B2BUA_STATE__URL: redis.url,
      B2BUA_STATE__NODE_ID: `node-${i + 1}`,
      B2BUA_STATE__COMMAND_TIMEOUT_MS: '500',
      B2BUA_SIGNALLING__AUTH__NONCE_SECRET: 'cluster-nonce-secret',
      B2BUA_SIGNALLING__EDGE__ADDRESSES: JSON.stringify(['127.0.0.1']),
      B2BUA_API__BOOTSTRAP_API_KEY: 'cluster-bootstrap-key',
      ...o.env,
    });
    return { id: `node-${i + 1}`, sip: `${host}:${port}`, e };
  }));
  for (const x of envs) nodes.push({ ...x, svc: await startChild(x.e) });
  const edge = await startEdge({ nodes: nodes.map((n) => n.sip), pingIntervalSec: o.pingIntervalSec ?? 1 });
  t.teardown(() => edge.close());
  const api: Cluster['api'] = async (i, path, token, init = {}) => {
    const res = await fetch(`${nodes[i].svc.apiUrl}${path}`, {
      ...init, signal: AbortSignal.timeout(10_000), headers: { 'content-type': 'application/json', 'x-auth-token': token },
    });
    return { status: res.status, body: (await res.json()) as { data?: unknown; message?: string } };
  };
  return {
    pg, redis, edge, nodes, accountId, dir, api,
    restart: async (i) => {
      const n = nodes[i];
      const again = { ...n, svc: await startChild(n.e) };
      nodes[i] = again;
      return again;
    },
    metric: async (i, name, labels = {}) =>
      total(await (await fetch(`${nodes[i].svc.apiUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text(), name, labels),
    token: async (i) => {
      const res = await fetch(`${nodes[i].svc.apiUrl}/v2/api_auth`, {
        method: 'PUT', body: JSON.stringify({ data: { api_key: API_KEY } }), signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { auth_token?: string };
      if (!body.auth_token) throw new Error(`no token from node ${i}: ${res.status}`);
      return body.auth_token;
    },
  };
}

/** A SIPp csv of one line (user;realm;password;number;rtpport). */
export function csv(dir: string, fields: string[]): string {
  const file = join(mkdtempSync(join(dir, 'csv-')), 'fields.csv');
  writeFileSync(file, `SEQUENTIAL\n${fields.join(';')}\n`);
  return file;
}

/** REGISTER a phone through the edge from localPort (SIPp, digest); the exit code. */
export async function register(c: Cluster, user: string, localPort: number, scenario = 'phone-register.xml'): Promise<number | null> {
  const r = await runSipp({
    scenario, remote: c.edge.target, localPort, timeoutMs: 20_000,
    args: ['-m', '1', '-inf', csv(c.dir, [user, REALM, `pw-${user}`, '', '0']), '-au', user, '-ap', `pw-${user}`, '-auth_uri', REALM],
  });
  return r.code;
}

/** Every value of a header of a SIP message (full names only). */
export function sipHeader(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`^${name}:\\s*(.*)$`, 'gmi'))].map((m) => m[1].trim());
}

/** A response to the request `text` (Vias, From, To with a tag, Call-ID, CSeq copied; RFC 3261 8.2.6.2). */
export function sipReply(text: string, status: string, headers: string[] = []): string {
  return [
    `SIP/2.0 ${status}`, ...sipHeader(text, 'Via').map((v) => `Via: ${v}`), `From: ${sipHeader(text, 'From')[0] ?? ''}`,
    `To: ${sipHeader(text, 'To')[0] ?? ''};tag=reply`, `Call-ID: ${sipHeader(text, 'Call-ID')[0] ?? ''}`, `CSeq: ${sipHeader(text, 'CSeq')[0] ?? ''}`,
    ...headers, 'Content-Length: 0', '', '',
  ].join('\r\n');
}

export interface ProviderRegistrar {
  port: number;
  /** Every REGISTER seen: when, and the host of its Contact (which node registered). */
  seen: { at: number; contactHost: string; expires: number }[];
  close(): Promise<void>;
}

/** A provider's registrar on 127.0.0.1: answers every REGISTER 200 (no challenge), granting 30 s. */
export async function startProviderRegistrar(): Promise<ProviderRegistrar> {
  const port = await freePort();
  const sock = createSocket('udp4');
  await new Promise<void>((res) => sock.bind(port, '127.0.0.1', () => res()));
  const seen: ProviderRegistrar['seen'] = [];
  sock.on('message', (buf, from) => {
    const text = buf.toString();
    if (!text.startsWith('REGISTER ')) return;
    const contact = sipHeader(text, 'Contact')[0] ?? '';
    const expires = Number(sipHeader(text, 'Expires')[0] ?? '30');
    seen.push({ at: Date.now(), contactHost: /@([^:;>]+)/.exec(contact)?.[1] ?? '', expires });
    sock.send(sipReply(text, '200 OK', expires > 0 ? [`Contact: ${contact};expires=30`] : []), from.port, from.address);
  });
  return { port, seen, close: () => new Promise<void>((res) => sock.close(() => res())) };
}

/**
 * An upload server, the cluster with `env` on every node, and phones 2001 (behind NAT) and
 * 1001 registered through the edge on free ports, each registration asserted.
 */
export async function clusterWithPhones(t: Teardown & { equal(a: unknown, b: unknown, m: string): void }, env: Record<string, string>): Promise<{ c: Cluster; upload: UploadServer; callerPort: number; calleePort: number }> {
  const upload = await UploadServer.start();
  t.teardown(() => upload.close());
  const c = await startCluster(t, { uploadUrl: upload.url, env });
  const [callerPort, calleePort] = [await freePort(), await freePort()];
  t.equal(await register(c, '2001', calleePort, 'phone-register-natted.xml'), 0, 'callee registered');
  t.equal(await register(c, '1001', callerPort), 0, 'caller registered');
  return { c, upload, callerPort, calleePort };
}
