/**
 * A node drained with SIGTERM behind the edge: its calls in progress finish, its OPTIONS
 * answer turns 503 so the edge takes it out, new calls go to the other node and none fails;
 * the drained node exits 0 once its calls are over.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startSipp } from '../../helpers/sipp';
import { waitExit } from '../ops/fixtures/child-service';
import { clusterWithPhones, csv, register, REALM, type Cluster } from './setup';

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const callArgs = (c: Cluster, n: number, tag: string): string[] => ['-m', String(n), '-l', String(n), '-r', '4', '-cid_str', `${tag}-%u@cluster.test`,
  '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`];

t.test('a node drained by SIGTERM during calls', async (t) => {
  const { c, callerPort, calleePort } = await clusterWithPhones(t, { B2BUA_SERVICE__SHUTDOWN__DRAIN_SEC: '20' });

  const callee = startSipp({ scenario: 'edge-phone-answer.xml', localPort: calleePort, timeoutMs: 50_000, args: ['-m', '8', '-key', 'rtpport', '9'] });
  // Four calls of 4 s up, spread over both nodes by their Call-IDs.
  const first = startSipp({ scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: 40_000, args: callArgs(c, 4, 'early') });
  const active = (i: number): Promise<number> => c.metric(i, 'b2bua_active_calls');
  await until('four calls up', async () => (await active(0)) + (await active(1)) === 4, 15_000);
  const drained = (await active(0)) > 0 ? 0 : 1;
  const other = 1 - drained;
  const inProgress = await active(drained);

  c.nodes[drained].svc.child.kill('SIGTERM');
  await until('the edge takes the draining node out', () => c.edge.output().includes(`node down: sip:${c.nodes[drained].sip}`), 10_000);
  t.pass(`${c.nodes[drained].id} answers its probe 503 while draining: the edge took it out`);
  const secondPort = await freePort();
  t.equal(await register(c, '1001', secondPort), 0, 'a second phone of 1001 registers through the edge meanwhile');
  const later = await startSipp({ scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: secondPort, timeoutMs: 40_000, args: callArgs(c, 4, 'late') }).done;
  t.equal(later.code, 0, `new calls while draining all connect: ${later.errors}`);
  t.equal(later.stats?.successful, 4);
  // Which node routed which call: the `call routed` log line carries the Call-ID.
  const routed = (i: number): string[] => [...new Set([...c.nodes[i].svc.output().matchAll(/"callId":"(late-\d+@cluster\.test)"[^\n]*"msg":"call routed"/g)].map((m) => m[1]))].sort();
  t.same(routed(other), ['late-1@cluster.test', 'late-2@cluster.test', 'late-3@cluster.test', 'late-4@cluster.test'], `all four went to ${c.nodes[other].id}`);
  t.same(routed(drained), [], 'none to the draining node');

  const early = await first.done;
  t.equal(early.code, 0, `the ${inProgress} call(s) in progress on the draining node finished normally: ${early.errors}`);
  t.equal(early.stats?.successful, 4);
  t.equal((await callee.done).code, 0, 'the callee saw every call end with a BYE');
  t.same(await waitExit(c.nodes[drained].svc, 30_000), { code: 0, signal: null }, 'the drained node exits 0');
  t.match(c.nodes[drained].svc.output(), /"callsCut":0/, 'no call was cut');
});
