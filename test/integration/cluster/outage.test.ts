/**
 * PostgreSQL, then Redis, stopped for 10 s under a light load of call attempts through the
 * edge: every attempt gets a clear answer (503 while the back end is down, never 500 or
 * silence), the nodes count it in their metrics and keep running, and the cluster recovers
 * by itself once the back end is back (Redis loses its data: phones register again).
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startSipp } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { inviteStatus } from '../ops/fixtures/sip-probe';
import { csv, register, REALM, startCluster, type Cluster } from './setup';

const OUTAGE_MS = 10_000;

/** One probe INVITE through the edge every 250 ms for `ms`; the answers seen. */
async function probeFor(c: Cluster, ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    out.push(await inviteStatus(c.edge.host, c.edge.port, { user: '1001', realm: REALM, number: '2000' }, 5000).catch(() => 0));
    await new Promise((r) => setTimeout(r, 250));
  }
  return out;
}

async function oneCall(c: Cluster, tag: string): Promise<number | null> {
  const [callerPort, calleePort] = [await freePort(), await freePort()];
  if (await register(c, '2001', calleePort, 'phone-register-natted.xml') !== 0) return -1;
  if (await register(c, '1001', callerPort) !== 0) return -2;
  const callee = startSipp({ scenario: 'edge-phone-answer.xml', localPort: calleePort, timeoutMs: 20_000, args: ['-m', '1', '-key', 'rtpport', '9'] });
  const r = await startSipp({
    scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: 20_000,
    args: ['-m', '1', '-cid_str', `${tag}-%u@cluster.test`, '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  }).done;
  await callee.done;
  return r.code;
}

t.test('PostgreSQL and Redis outages under load', async (t) => {
  const upload = await UploadServer.start();
  t.teardown(() => upload.close());
  const c = await startCluster(t, { uploadUrl: upload.url });
  t.equal(await oneCall(c, 'before'), 0, 'a call connects before the outages');
  const alive = (): boolean => c.nodes.every((n) => n.svc.child.exitCode === null && n.svc.child.signalCode === null);

  await c.pg.stop();
  const [host, port] = c.nodes[0].sip.split(':');
  const direct = await inviteStatus(host, Number(port), { user: '1001', realm: REALM, number: '2000' }, 5000);
  const pgDown = await probeFor(c, OUTAGE_MS);
  await c.pg.start();
  t.equal(direct, 503, 'a node answers 503 while PostgreSQL is down (not 500)');
  t.ok(pgDown.length >= 10 && pgDown.every((s) => s === 503), `PostgreSQL down: every attempt answered 503 (${[...new Set(pgDown)].join(', ')} over ${pgDown.length})`);
  const storeErrors = await Promise.all([0, 1].map((i) => c.metric(i, 'b2bua_store_unavailable_total')));
  t.ok(storeErrors.every((n) => n > 0), `both nodes count it in b2bua_store_unavailable_total (${storeErrors.join(' / ')})`);
  t.ok(alive(), 'both nodes still run');
  t.equal(await oneCall(c, 'after-pg'), 0, 'PostgreSQL back: calls connect again, no restart');

  await c.redis.stop();
  const [callerPort] = [await freePort()];
  const redisDown: (number | null)[] = [];
  const end = Date.now() + OUTAGE_MS;
  // Registering needs Redis (bindings, nonce-counts): a phone's REGISTER fails cleanly.
  while (Date.now() < end) {
    redisDown.push(await register(c, '1001', callerPort));
    await new Promise((r) => setTimeout(r, 500));
  }
  const up = await Promise.all([0, 1].map((i) => c.metric(i, 'b2bua_state_up')));
  await c.redis.start();
  t.ok(redisDown.length >= 5 && redisDown.every((code) => code !== 0), `Redis down: every REGISTER refused (${redisDown.length} tries)`);
  t.same(up, [0, 0], 'b2bua_state_up is 0 on both nodes meanwhile');
  t.ok((await Promise.all([0, 1].map((i) => c.metric(i, 'b2bua_state_unavailable_total')))).every((n) => n > 0), 'b2bua_state_unavailable_total counted');
  t.ok(alive(), 'both nodes still run');
  // Redis restarted empty: phones register again, then calls connect.
  const deadline = Date.now() + 10_000;
  let after: number | null = null;
  while (Date.now() < deadline && (after = await oneCall(c, 'after-redis')) !== 0) await new Promise((r) => setTimeout(r, 500));
  t.equal(after, 0, 'Redis back (empty): phones register again and calls connect, no restart');
});
