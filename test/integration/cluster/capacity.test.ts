/**
 * calls.maxCalls behind the shipped Kamailio edge (real PostgreSQL and Redis): each of two
 * nodes takes one call at a time. A node that is full answers a new INVITE 503 and the edge
 * sends the call to the other node (failure_route NEXT_NODE), so every call connects while the
 * cluster has room; with both nodes full, the caller gets 503 from the edge. A full node still
 * answers the edge's OPTIONS probe 200: taken out by it, it would stay out after its calls
 * ended, until the next probe (calls refused with room on both nodes, as a first version did).
 * The recorder's overload guard refuses the same way, probe included (ops/overload.test.ts).
 */
import t from 'tap';
import { startSipp } from '../../helpers/sipp';
import { inviteStatus } from '../ops/fixtures/sip-probe';
import { clusterWithPhones, csv, REALM } from './setup';

const CALLS = 4;

t.test('two nodes of one call each: calls go where there is room, the third gets 503', async (t) => {
  const { c, callerPort, calleePort } = await clusterWithPhones(t, { B2BUA_CALLS__MAX_CALLS: '1' });

  const callee = startSipp({ scenario: 'edge-phone-answer.xml', localPort: calleePort, timeoutMs: 60_000, args: ['-m', String(CALLS), '-key', 'rtpport', '9'] });
  const caller = startSipp({
    scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: 60_000,
    args: ['-m', String(CALLS), '-l', '2', '-r', '4', '-cid_str', 'cap-%u@cluster.test', '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  });
  // Watch both nodes while the calls run: never more than one call on either.
  const most = [0, 0];
  let probed: number | undefined;
  let running = true;
  const watching = (async () => {
    while (running) {
      const up = await Promise.all([0, 1].map((i) => c.metric(i, 'b2bua_active_calls')));
      up.forEach((n, i) => { most[i] = Math.max(most[i], n); });
      // Both full: a call through the edge finds no node with room.
      if (probed === undefined && up[0] === 1 && up[1] === 1) probed = await inviteStatus(c.edge.target.split(':')[0], Number(c.edge.target.split(':')[1]), { user: '1001', realm: REALM, number: '2000' });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const [a, b] = await Promise.all([caller.done, callee.done]);
  running = false;
  await watching;

  t.equal(a.code, 0, `every call connected through the edge: ${a.errors}`);
  t.equal(a.stats?.successful, CALLS);
  t.equal(b.code, 0, `the callee got every call and its BYE: ${b.errors}`);
  t.same(most, [1, 1], 'each node carried one call at a time, and both were used');
  t.equal(probed, 503, 'with both nodes full, a new call through the edge gets 503');
  const refused = (await Promise.all([0, 1].map((i) => c.metric(i, 'b2bua_invites_refused_total', { reason: 'max_calls' })))).reduce((x, y) => x + y, 0);
  t.ok(refused >= 2, `the nodes refused the probe (each, as the edge tried both) and any call sent to a full node: ${refused}`);
  t.notMatch(c.edge.output(), /node down/, 'no node was taken out by the edge\'s probe');
});
