/**
 * docker-compose.yml cannot be run here (no Docker engine), so its consistency is checked:
 * it parses as YAML with the expected services; every B2BUA_* variable of the service names a
 * real configuration key and the whole set passes parseConfig; the values the containers must
 * agree on (drachtio admin socket and secret, rtpengine NG address, the API port Prometheus
 * scrapes, the upload receiver allowed by the delivery policy, the stop grace vs the drain
 * time) agree; every file the compose file mounts or builds from exists. The upload receiver
 * it ships is run for real and must store a PUT body.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { ConfigSchema, envOverrides, parseConfig } from '../../../src/config';
import { freePort } from '../../helpers/ports';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const COMPOSE = join(ROOT, 'docker-compose.yml');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  network_mode?: string;
  stop_grace_period?: string;
  depends_on?: string[];
  profiles?: string[];
}
interface ComposeFile { services: Record<string, ComposeService>; volumes?: Record<string, unknown> }

/** Compose's ${VAR}, ${VAR:-default} and ${VAR-default} with an empty environment. */
function interpolate(s: string): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, _name: string, def?: string) => def ?? '');
}

/** True when the dotted path names a property of the TypeBox schema (arrays/objects given whole as JSON stop the walk). */
function schemaHas(schema: unknown, path: string[]): boolean {
  let node = schema as { properties?: Record<string, unknown> };
  for (const seg of path) {
    const next = node.properties?.[seg];
    if (next === undefined) return false;
    node = next as { properties?: Record<string, unknown> };
  }
  return true;
}

function commandText(c: ComposeService['command']): string {
  return interpolate(Array.isArray(c) ? c.join(' ') : c ?? '');
}

function seconds(d: string | undefined): number {
  const m = /^(\d+)(s|m)$/.exec(d ?? '');
  if (!m) return 10; // compose's default stop grace
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

// merge: the cluster profile's second node and rtpengine reuse the first's keys (YAML `<<`).
const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as ComposeFile;
const svc = compose.services;
const inProfile = (p: string): string[] => Object.keys(svc).filter((n) => svc[n].profiles?.includes(p)).sort();
const env = Object.fromEntries(Object.entries(svc.b2bua?.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

t.test('the services of a production-shaped deployment', async (t) => {
  t.same(Object.keys(svc).filter((n) => svc[n].profiles === undefined).sort(), ['b2bua', 'drachtio', 'prometheus', 'rtpengine', 'uploads']);
  t.same(inProfile('cluster'), ['edge', 'node-1', 'node-2', 'postgres', 'redis', 'rtpengine-1', 'rtpengine-2'], 'profile cluster');
  t.match(svc.drachtio.image, /^drachtio\/drachtio-server:/, 'the public drachtio-server image');
  t.match(svc.rtpengine.image, /rtpengine/, 'an rtpengine image');
  t.match(svc.prometheus.image, /^prom\/prometheus:/);
  t.same(svc.b2bua.depends_on?.sort(), ['drachtio', 'rtpengine', 'uploads']);
  for (const [name, s] of Object.entries(svc)) t.equal(s.network_mode, 'host', `${name} on the host network (loopback addresses below rely on it)`);
});

t.test('every B2BUA_* key is a real configuration key and the set is a valid configuration', async (t) => {
  const keys = Object.keys(env);
  t.ok(keys.length >= 15, `${keys.length} keys`);
  for (const key of keys) {
    t.match(key, /^B2BUA_[A-Z0-9_]+$/, `${key} is a service key`);
    const path = key.slice('B2BUA_'.length).split('__').map((s) => s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
    t.ok(schemaHas(ConfigSchema, path), `${key} -> ${path.join('.')} exists in the schema`);
  }
  const cfg = parseConfig(envOverrides(env));
  t.equal(cfg.engine.embedded, false, 'the embedded engine is off');
  t.equal(cfg.media.mode, 'external', 'rtpengine is external');
  t.same(cfg.media.external, [{ host: '127.0.0.1', port: 22222 }]);
  t.equal(cfg.engine.sip.listen[0]?.port, 5060);
  t.equal(cfg.api.port, 8000);
  t.ok(cfg.store.path.startsWith('/var/lib/b2bua/') && cfg.delivery.spoolDir.startsWith('/var/lib/b2bua/') && cfg.recorder.spoolDir.startsWith('/var/lib/b2bua/'), 'state on the volume');
  t.ok(svc.b2bua.volumes?.includes('b2bua-data:/var/lib/b2bua'), 'the volume is mounted there');
  t.ok(seconds(svc.b2bua.stop_grace_period) > cfg.service.shutdown.drainSec + cfg.service.shutdown.uploadGraceSec,
    'docker waits longer than the drain before SIGKILL');
  // A typo must be caught by this test, not pass silently as an unknown property.
  t.notOk(schemaHas(ConfigSchema, ['engine', 'drachtio', 'secrett']), 'the schema walk rejects unknown keys');
});

t.test('the containers agree with each other', async (t) => {
  const cfg = parseConfig(envOverrides(env));
  const xml = readFileSync(join(ROOT, 'deploy/drachtio/drachtio.conf.xml'), 'utf8');
  const admin = /<admin\s+port="(\d+)"\s+secret="([^"]+)">([^<]+)<\/admin>/.exec(xml);
  if (!admin) throw new Error('no <admin> in drachtio.conf.xml');
  t.equal(Number(admin[1]), cfg.engine.drachtio.port, 'drachtio admin port');
  t.equal(admin[2], cfg.engine.drachtio.secret, 'drachtio secret (default)');
  t.equal(admin[3], cfg.engine.drachtio.host, 'drachtio admin address');
  t.match(commandText(svc.drachtio.command), /--contact "sip:127\.0\.0\.1:5060;transport=udp,tcp"/, 'drachtio SIP contact on the service\'s SIP port');
  t.match(commandText(svc.drachtio.command), /--file \/etc\/drachtio\.conf\.xml/);

  const rtp = commandText(svc.rtpengine.command);
  t.match(rtp, /--table=-1/, 'userspace forwarding');
  t.match(rtp, new RegExp(`--listen-ng=${cfg.media.external[0]?.host}:${cfg.media.external[0]?.port}\\b`), 'NG address the service uses');

  const prom = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] };
  const job = prom.scrape_configs.find((j) => j.job_name === 'b2bua');
  t.equal(job?.metrics_path, '/metrics');
  t.same(job?.static_configs[0]?.targets, [`${cfg.api.host}:${cfg.api.port}`], 'Prometheus scrapes the service\'s API port');

  const up = svc.uploads.environment ?? {};
  t.ok(cfg.delivery.allow.includes(`${String(up.HOST)}/32`), 'the delivery policy allows the receiver\'s address');
});

t.test('every referenced file exists', async (t) => {
  const b = svc.b2bua.build;
  if (!b) throw new Error('b2bua has no build');
  t.ok(existsSync(join(ROOT, b.context, b.dockerfile ?? 'Dockerfile')), 'Dockerfile');
  const dockerfile = readFileSync(join(ROOT, b.context, b.dockerfile ?? 'Dockerfile'), 'utf8');
  // As npm start runs it (its node flags included: src/service/young-generation.ts).
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start.split(' ');
  t.same(start.slice(-1), ['dist/src/main.js'], 'npm start runs the service entry point');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  t.same(cmd ? JSON.parse(cmd[1]) : null, start, `the image runs it as npm start does: ${start.join(' ')}`);
  t.ok(existsSync(join(ROOT, 'dist/src/main.js')), 'which the build produces');
  for (const copy of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of copy[1].split(/\s+/)) t.ok(existsSync(join(ROOT, src)), `COPY source ${src}`);
  }
  const named = new Set(Object.keys(compose.volumes ?? {}));
  for (const [name, s] of Object.entries(svc)) {
    for (const v of s.volumes ?? []) {
      const [src] = v.split(':');
      if (src.startsWith('./') || src.startsWith('/')) t.ok(existsSync(join(ROOT, src)), `${name}: ${src}`);
      else t.ok(named.has(src), `${name}: named volume ${src} declared`);
    }
  }
});

t.test('the shipped upload receiver stores a PUT recording', async (t) => {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'ops-receiver-'));
  const child = spawn(process.execPath, [join(ROOT, 'deploy/upload-receiver/server.js')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: data }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => { child.kill('SIGKILL'); });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('receiver did not start')), 10_000);
    child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('upload receiver on')) { clearTimeout(timer); res(); } });
  });
  const body = Buffer.from('RIFF....WAVEfmt fake recording bytes');
  const res = await fetch(`http://127.0.0.1:${port}/recordings/call_recording_abc%40host.wav?call_id=abc%40host&account_id=a1`, {
    method: 'PUT', body, headers: { 'content-type': 'audio/wav' }, signal: AbortSignal.timeout(10_000),
  });
  t.equal(res.status, 201);
  t.same(readFileSync(join(data, 'call_recording_abc@host.wav')), body, 'exact bytes stored under the Kazoo file name');
  const meta = JSON.parse(readFileSync(join(data, 'call_recording_abc@host.wav.json'), 'utf8')) as { meta: Record<string, string>; bytes: number };
  t.same(meta.meta, { call_id: 'abc@host', account_id: 'a1' }, 'query metadata kept');
  t.equal(meta.bytes, body.length);
  const bad = await fetch(`http://127.0.0.1:${port}/..%2F..%2Fetc%2Fpasswd`, { method: 'PUT', body, signal: AbortSignal.timeout(10_000) });
  t.equal(bad.status, 400, 'no path escapes');
});

t.test('every variable the compose file interpolates is documented in deploy/env.example', async (t) => {
  const used = new Set([...readFileSync(COMPOSE, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
  const documented = new Set([...readFileSync(join(ROOT, 'deploy/env.example'), 'utf8').matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]));
  t.ok(used.size >= 3, `${used.size} variables`);
  for (const v of used) t.ok(documented.has(v), `${v} documented`);
});

t.test('the cluster profile: two nodes behind the edge on PostgreSQL and Redis, agreeing with each other', async (t) => {
  const cfgOf = (name: string): ReturnType<typeof parseConfig> =>
    parseConfig(envOverrides(Object.fromEntries(Object.entries(svc[name].environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]))));
  const nodes = ['node-1', 'node-2'].map(cfgOf);
  for (const [i, name] of ['node-1', 'node-2'].entries()) {
    for (const key of Object.keys(svc[name].environment ?? {})) {
      const path = key.slice('B2BUA_'.length).split('__').map((s) => s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
      t.ok(schemaHas(ConfigSchema, path), `${name}: ${key} exists in the schema`);
    }
    const c = nodes[i];
    t.equal(c.store.driver, 'postgres');
    t.equal(c.state.driver, 'redis');
    t.equal(c.state.nodeId, name, 'its own node id');
    t.equal(c.state.nodeApiUrl, `http://${c.api.host}:${c.api.port}`, 'the API address it announces is its API');
    t.ok(svc[name].volumes?.includes(`${name}-data:/var/lib/b2bua`), 'its own spool volume');
    t.ok(seconds(svc[name].stop_grace_period) > c.service.shutdown.drainSec + c.service.shutdown.uploadGraceSec, 'docker waits for the drain');
  }
  const [a, b] = nodes;
  t.equal(a.store.url, b.store.url, 'one PostgreSQL');
  t.match(a.store.url, /@127\.0\.0\.1:5432\/b2bua$/);
  t.match(commandText(svc.postgres.command), /listen_addresses=127\.0\.0\.1 -p 5432/, 'where postgres listens');
  t.equal(a.state.url, b.state.url, 'one Redis');
  t.match(commandText(svc.redis.command), /--bind 127\.0\.0\.1 --port 6379/, 'where redis listens');
  t.equal(a.state.url, 'redis://127.0.0.1:6379');
  t.equal(a.signalling.auth.nonceSecret, b.signalling.auth.nonceSecret, 'one nonce secret');
  t.not(a.api.port, b.api.port, 'distinct API ports');
  t.not(a.recorder.portMin, b.recorder.portMin, 'distinct recorder ports');
  const edge = commandText(svc.edge.command);
  const listen = /LISTEN=udp:([^:]+):(\d+)/.exec(edge);
  for (const [i, c] of nodes.entries()) {
    const sip = c.engine.sip.listen[0];
    t.ok(edge.includes(`1 sip:${sip?.host}:${sip?.port}`), `the edge dispatches to node-${i + 1}'s SIP socket`);
    t.same([...c.signalling.edge.addresses], [listen?.[1]], `node-${i + 1} trusts the edge's address only`);
    const rtp = commandText(svc[`rtpengine-${i + 1}`].command);
    t.match(rtp, new RegExp(`--listen-ng=${c.media.external[0]?.host}:${c.media.external[0]?.port}\\b`), `node-${i + 1} has its own rtpengine`);
  }
  t.equal(listen?.[2], '5060', 'the edge takes SIP on 5060');
  const prom = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
  t.same(prom.scrape_configs.find((j) => j.job_name === 'b2bua-cluster')?.static_configs[0]?.targets, nodes.map((c) => `${c.api.host}:${c.api.port}`), 'Prometheus scrapes both nodes');
});
