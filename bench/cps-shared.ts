/**
 * `npm run bench:cps-shared`: the cost of shared state per call setup (issue 12 item 6). The
 * whole service (`node dist/src/main.js`, embedded engine, its rtpengine) runs twice in one
 * invocation, one instance per mode, both up at once and loaded one after the other at each
 * rate (so both see the same background load on a shared machine):
 *  - embedded: `store.driver: sqlite`, `state.driver: memory` (the quick start);
 *  - shared:   `store.driver: postgres`, `state.driver: redis`, a private PostgreSQL and Redis
 *              started here (test/helpers/postgres.ts, redis.ts).
 * Each call is a carrier call to a DID that rings a registered phone: trunk recognition by
 * source address, the callflow, device and registration look-ups, the live-call directory entry
 * and the call record: the store reads and state writes a real call does. SIPp (uac-cps.xml,
 * 0.2 s calls) plays the carrier, SIPp (uas-basic.xml) the phone, registered first with digest.
 * The rate steps up (CPS_SHARED_STEPS, default 25,50,100,150,200; CPS_SHARED_SECONDS, default
 * 10, per step); a step passes with zero failed calls carried on time (+2 s). Per step: carried
 * calls/s, CPU% of the node, its rtpengine, PostgreSQL (postmaster and backends) and Redis, and
 * CPU ms per call of node + PostgreSQL + Redis above their idle CPU (measured over 3 s after a
 * 5 s warm-up at the first rate). Then per mode the highest clean rate and the ratio shared /
 * embedded, and the ratio of CPU per call at every rate both carried.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from '../test/helpers/ports';
import { startPostgres, type PgCluster } from '../test/helpers/postgres';
import { startRedis, type TestRedis } from '../test/helpers/redis';
import { runSipp, startSipp, type SippProcess, type SippResult } from '../test/helpers/sipp';
import { csv } from '../test/integration/calls/setup';
import { childEnv, configOf, startChild, type ChildService } from '../test/integration/ops/fixtures/child-service';
import { openStore, type DocumentStore } from '../src/store';

const STEPS = (process.env.CPS_SHARED_STEPS ?? '25,50,100,150,200').split(',').map(Number);
const SECONDS = Number(process.env.CPS_SHARED_SECONDS ?? 10);
const SLACK = 2;
const IDLE_SECONDS = 3;
const WARMUP = 5; // seconds at the first step's rate, not counted
const REALM = 'cps.test';
const DID = '4420000';
const CARRIER = '127.0.0.1';
const TICKS = 100; // USER_HZ on Linux

interface Stat { ppid: number; comm: string; own: number; reaped: number }

function stat(pid: number): Stat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

/**
 * CPU ticks of a process and its descendants, those that ended included (their time is in the
 * parent's cutime/cstime once reaped): PostgreSQL backends come and go with connections.
 */
function treeTicks(root: number): number {
  const all = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map((e) => ({ pid: Number(e), s: stat(Number(e)) }));
  const sum = (pid: number): number => {
    const s = all.find((x) => x.pid === pid)?.s;
    if (!s) return 0;
    return s.own + s.reaped + all.filter((x) => x.s?.ppid === pid).reduce((n, x) => n + sum(x.pid), 0);
  };
  return sum(root);
}

function childNamed(parent: number, comm: string): number | undefined {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = stat(Number(e));
    if (s?.ppid === parent && s.comm === comm) return Number(e);
  }
  return undefined;
}

/** Account, phone 2001 behind DID 4420000, a carrier resource whose gateway is the UAC's address. */
async function seed(store: DocumentStore, carrierPort: number): Promise<void> {
  try {
    const acct = await store.createAccount(null, { name: 'cps', realm: REALM });
    const phone = await store.create('devices', acct._id, { name: 'phone 2001', sip: { username: '2001', password: 'pw-2001' } });
    await store.create('callflows', acct._id, { numbers: [DID], patterns: [], flow: { module: 'device', data: { id: phone._id } } });
    await store.create('resources', acct._id, { name: 'carrier', gateways: [{ server: CARRIER, port: carrierPort }], rules: ['^\\+?1555[0-9]{7}$'] });
  } finally {
    await store.close();
  }
}

/** The carrier's calls to the DID: `rate` calls/s for `seconds`, 0.2 s each. */
function carrierCalls(sipPort: number, uacPort: number, rate: number, seconds: number): Promise<SippResult> {
  return runSipp({
    scenario: 'uac-cps.xml', remote: `127.0.0.1:${sipPort}`, localPort: uacPort, timeoutMs: (seconds + 60) * 1000,
    args: ['-s', DID, '-r', String(rate), '-m', String(rate * seconds), '-l', String(rate * 5), '-max_socket', '10000'],
  });
}

interface Meter { name: string; pid: number; tree: boolean; first: number }
interface Step { rate: number; pass: boolean; carried: number; cpu: Record<string, number>; msPerCall: number }

/** One running service and its load generators. */
interface Mode {
  name: string;
  svc: ChildService;
  uacPort: number;
  uas: SippProcess;
  meters: Meter[];
  idle: Record<string, number>;
  steps: Step[];
}

const ticks = (m: Meter): number => (m.tree ? treeTicks(m.pid) : stat(m.pid)?.own ?? 0);

async function startMode(name: string, extra: Record<string, string>, others: { name: string; pid: number }[], cleanups: (() => unknown)[]): Promise<Mode> {
  const [uacPort, uasPort] = [await freePort(CARRIER), await freePort()];
  const e = await childEnv({ B2BUA_LOG_LEVEL: 'warn', ...extra });
  cleanups.push(() => rmSync(e.dir, { recursive: true, force: true }));
  await seed(await openStore(configOf(e.env).store), uacPort);
  const svc = await startChild(e);
  cleanups.push(async () => { svc.child.kill('SIGTERM'); await svc.exited; });
  const pid = svc.child.pid ?? 0;
  const reg = await runSipp({
    scenario: 'phone-register.xml', remote: `127.0.0.1:${svc.sipPort}`, localPort: uasPort, timeoutMs: 20_000,
    args: ['-m', '1', '-inf', csv(['2001', REALM, 'pw-2001', '', '0']), '-au', '2001', '-ap', 'pw-2001', '-auth_uri', REALM],
  });
  if (reg.code !== 0) throw new Error(`${name}: phone did not register: ${reg.errors.slice(0, 300)}`);
  const total = STEPS.reduce((n, r) => n + r * SECONDS, 0) + WARMUP * STEPS[0];
  const uas = startSipp({ scenario: 'uas-basic.xml', localPort: uasPort, args: ['-m', String(total), '-max_socket', '10000'], timeoutMs: 3600_000 });
  cleanups.push(() => uas.child.kill('SIGKILL'));
  // Warm-up (JIT, connection pools, caches): the first step would otherwise pay for it.
  const warm = await carrierCalls(svc.sipPort, uacPort, STEPS[0], WARMUP);
  if ((warm.stats?.failed ?? 1) !== 0) throw new Error(`${name}: warm-up calls failed: ${warm.errors.slice(0, 300)}`);
  const rtpengine = childNamed(pid, 'rtpengine');
  const meters: Meter[] = [
    { name: 'node', pid, tree: false, first: 0 },
    ...(rtpengine ? [{ name: 'rtpengine', pid: rtpengine, tree: false, first: 0 }] : []),
    ...others.map((o) => ({ ...o, tree: true, first: 0 })),
  ];
  return { name, svc, uacPort, uas, meters, idle: {}, steps: [] };
}

/** What the parts cost with no call (timers, sweeps, probes), subtracted from each step's CPU. */
async function measureIdle(m: Mode): Promise<void> {
  for (const x of m.meters) x.first = ticks(x);
  await new Promise((res) => setTimeout(res, IDLE_SECONDS * 1000));
  for (const x of m.meters) m.idle[x.name] = ((ticks(x) - x.first) / TICKS / IDLE_SECONDS) * 100;
  console.log(`${m.name}: idle CPU% over ${IDLE_SECONDS}s: ${m.meters.map((x) => `${x.name} ${m.idle[x.name].toFixed(1)}`).join(', ')}`);
}

async function step(m: Mode, rate: number): Promise<Step> {
  const calls = rate * SECONDS;
  for (const x of m.meters) x.first = ticks(x);
  const t0 = Date.now();
  const r = await carrierCalls(m.svc.sipPort, m.uacPort, rate, SECONDS);
  const wall = (Date.now() - t0) / 1000;
  const cpu: Record<string, number> = {};
  for (const x of m.meters) cpu[x.name] = ((ticks(x) - x.first) / TICKS / wall) * 100;
  const ok = r.stats?.successful ?? 0;
  const failed = r.stats?.failed ?? NaN;
  const pass = ok === calls && failed === 0 && wall <= SECONDS + SLACK;
  const carried = ok / Math.max(wall - 0.2, 0.001);
  const stateCpu = ['node', 'postgres', 'redis'].reduce((n, k) => n + (cpu[k] === undefined ? 0 : cpu[k] - m.idle[k]), 0);
  const msPerCall = ((stateCpu / 100) * wall * 1000) / Math.max(ok, 1);
  const pct = (k: string): string => (cpu[k] === undefined ? '-' : cpu[k].toFixed(0));
  console.log(`${m.name.padEnd(10)}${String(rate).padEnd(6)}${String(calls).padEnd(7)}${String(ok).padEnd(7)}${String(failed).padEnd(8)}${carried.toFixed(0).padEnd(11)}` +
    `${pct('node').padEnd(7)}${pct('rtpengine').padEnd(12)}${pct('postgres').padEnd(11)}${pct('redis').padEnd(8)}${msPerCall.toFixed(2)}` +
    (pass ? '' : `   <- failed step (wall ${wall.toFixed(1)}s)`));
  const s = { rate, pass, carried, cpu, msPerCall };
  m.steps.push(s);
  return s;
}

function best(m: Mode): number {
  return m.steps.filter((s) => s.pass).reduce((n, s) => Math.max(n, s.rate), 0);
}

async function main(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  try {
    const pg: PgCluster = await startPostgres({ teardown: (fn) => { cleanups.push(fn); } });
    const redis: TestRedis = await startRedis();
    cleanups.push(() => redis.close());
    const url = await pg.createDatabase();
    const modes = [
      await startMode('embedded', {}, [], cleanups),
      await startMode('shared', { B2BUA_STORE__DRIVER: 'postgres', B2BUA_STORE__URL: url, B2BUA_STATE__DRIVER: 'redis', B2BUA_STATE__URL: redis.url },
        [{ name: 'postgres', pid: pg.pid() }, { name: 'redis', pid: redis.pid() }], cleanups),
    ];
    console.log(`cps bench, shared state: embedded = SQLite + memory, shared = PostgreSQL + Redis; ${SECONDS}s per step, the two modes one after the other at each rate`);
    for (const m of modes) await measureIdle(m);
    console.log('mode      rate  calls  ok     failed  carried/s  node%  rtpengine%  postgres%  redis%  cpu ms/call above idle (node+postgres+redis)');
    // Interleaved: on a shared machine both modes see the same background load at each rate.
    const running = new Set(modes);
    for (const rate of STEPS) {
      for (const m of modes) {
        if (!running.has(m)) continue;
        if (!(await step(m, rate)).pass) running.delete(m);
        await new Promise((res) => setTimeout(res, 1500));
      }
      if (running.size === 0) break;
    }
    const [e, sh] = modes;
    console.log(`\nhighest rate carried ${SECONDS}s on time with zero failed calls: embedded ${best(e)} calls/s, shared ${best(sh)} calls/s (ratio ${(best(sh) / Math.max(best(e), 1)).toFixed(2)})`);
    const both = STEPS.filter((r) => e.steps.some((s) => s.rate === r && s.pass) && sh.steps.some((s) => s.rate === r && s.pass));
    for (const rate of both) {
      const [se, ss] = [e.steps.find((s) => s.rate === rate), sh.steps.find((s) => s.rate === rate)];
      if (se && ss) console.log(`CPU per call above idle at ${rate} calls/s (node + postgres + redis): embedded ${se.msPerCall.toFixed(2)} ms, shared ${ss.msPerCall.toFixed(2)} ms (ratio ${(ss.msPerCall / se.msPerCall).toFixed(2)})`);
    }
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
