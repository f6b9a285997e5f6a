/**
 * Two nodes behind the shipped Kamailio edge, on a real PostgreSQL and Redis: phones register
 * through the edge (Path), calls from one phone to the other are spread over both nodes, so a
 * node reaches a phone whose REGISTER another node took; the recordings are uploaded; both
 * nodes list the registrations with the phones' real source (X-Real-Source from the edge).
 */
import t from 'tap';
import { optionsAnswered } from '../../helpers/kamailio';
import { freePort } from '../../helpers/ports';
import { redisState } from '../../helpers/redis';
import { startSipp } from '../../helpers/sipp';
import { readUntil } from '../../helpers/sse';
import { UploadServer } from '../../helpers/upload-server';
import { csv, register, REALM, startCluster } from './setup';

const CALLS = 4;

t.test('phones through the edge: registered via any node, called from any node, recorded', async (t) => {
  const upload = await UploadServer.start();
  t.teardown(() => upload.close());
  const c = await startCluster(t, { uploadUrl: upload.url });
  for (const n of c.nodes) {
    const [host, port] = n.sip.split(':');
    t.ok(await optionsAnswered(host, Number(port), 2000), `${n.id} answers OPTIONS 200 (the edge's probe)`);
  }

  const [callerPort, calleePort] = [await freePort(), await freePort()];
  // Behind NAT: its Contact is unreachable, only the Path's received address reaches it.
  t.equal(await register(c, '2001', calleePort, 'phone-register-natted.xml'), 0, 'the callee registers through the edge');
  t.equal(await register(c, '1001', callerPort), 0, 'the caller registers through the edge');

  const probe = await redisState(c.redis);
  t.teardown(() => probe.close());
  const stored = JSON.parse(await probe.redis.get(`b2bua:reg:aor:2001@${REALM}`) ?? '[]') as { path?: string[] }[];
  t.match(stored[0]?.path, [new RegExp(`^<sip:${c.edge.target};lr;received=sip:127\\.0\\.0\\.1:${calleePort}>$`)],
    'the binding keeps the Path the edge added, with the phone\'s real address');

  const token = await c.token(0);
  for (const i of [0, 1]) {
    const regs = await c.api(i, `/v2/accounts/${c.accountId}/registrations`, i === 0 ? token : await c.token(i));
    const rows = regs.body.data as { username: string; source_ip: string; source_port: number }[];
    t.equal(regs.status, 200, `${c.nodes[i].id} serves the registrations API`);
    t.same(rows.map((r) => [r.username, r.source_ip, r.source_port]).sort(),
      [['1001', '127.0.0.1', callerPort], ['2001', '127.0.0.1', calleePort]],
      `${c.nodes[i].id} lists both phones at their real source (not the edge's)`);
  }

  const callee = startSipp({ scenario: 'edge-phone-answer.xml', localPort: calleePort, timeoutMs: 45_000, args: ['-m', String(CALLS), '-key', 'rtpport', '9'] });
  const caller = startSipp({
    scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: 45_000,
    // Fixed Call-IDs: the edge hashes them over the nodes, so the spread is the same every run.
    args: ['-m', String(CALLS), '-l', '2', '-r', '2', '-cid_str', 'edge-%u@cluster.test', '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  });
  // Two calls up (-l 2): both nodes list both, and answer for a call the other node holds.
  const active = async (): Promise<number> => (await c.metric(0, 'b2bua_active_calls')) + (await c.metric(1, 'b2bua_active_calls'));
  const deadline = Date.now() + 15_000;
  while ((await active()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const tokens = [token, await c.token(1)];
  const lists = await Promise.all([0, 1].map((i) => c.api(i, `/v2/accounts/${c.accountId}/channels`, tokens[i])));
  const uuids = lists.map((l) => (l.body.data as { uuid: string }[]).map((ch) => ch.uuid).sort());
  t.equal(uuids[0].length, 2, `node-1 lists the calls of both nodes (${uuids[0].join(', ')})`);
  t.same(uuids[1], uuids[0], 'node-2 lists the same calls');
  const owner1 = await probe.redis.get(`b2bua:call:${uuids[0][0]}`);
  const other = owner1 === 'node-1' ? 1 : 0;
  const one = await c.api(other, `/v2/accounts/${c.accountId}/channels/${encodeURIComponent(uuids[0][0])}`, tokens[other]);
  t.match(one, { status: 200, body: { data: { uuid: uuids[0][0] } } }, `${c.nodes[other].id} answers for a call ${owner1 ?? '?'} holds`);
  // By the callee leg's Call-ID too (Kazoo's other_leg): the directory names both legs.
  // (once answered: the callee rings for 1 s)
  let bLeg: string | null | undefined;
  for (const end = Date.now() + 5000; !bLeg && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const l = await c.api(0, `/v2/accounts/${c.accountId}/channels`, tokens[0]);
    bLeg = (l.body.data as { uuid: string; other_leg: string | null }[]).find((ch) => ch.uuid === uuids[0][0])?.other_leg;
  }
  t.ok(bLeg, `the call has a callee leg (${bLeg ?? 'none'})`);
  const byB = await c.api(other, `/v2/accounts/${c.accountId}/channels/${encodeURIComponent(bLeg ?? '')}`, tokens[other]);
  t.match(byB, { status: 200, body: { data: { uuid: uuids[0][0] } } }, `${c.nodes[other].id} answers for that call by its callee leg's Call-ID`);
  // The live-call stream of the node that does not hold the call shows it too.
  const sse = await fetch(`${c.nodes[other].svc.apiUrl}/v2/accounts/${c.accountId}/channels/events?auth_token=${tokens[other]}`, { signal: AbortSignal.timeout(15_000) });
  const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
  const seen = { text: '' };
  await readUntil(reader, seen, new RegExp(`event: channels\ndata: [^\n]*"uuid":"${uuids[0][0]}"`), 5000).then(
    () => t.pass(`${c.nodes[other].id}'s channel events list the call ${owner1 ?? '?'} holds`),
    (err: unknown) => t.fail(String(err)));
  await reader.cancel();

  const [a, b] = await Promise.all([caller.done, callee.done]);
  t.equal(a.code, 0, `every call completed through the edge: ${a.errors}`);
  t.equal(a.stats?.successful, CALLS);
  t.equal(b.code, 0, `the callee got every call and its BYE: ${b.errors}`);
  // A node counts a call once it has handled its BYE, a moment after SIPp's last one.
  let perNode: number[] = [];
  for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    perNode = await Promise.all(c.nodes.map((_, i) => c.metric(i, 'b2bua_calls_total')));
    if (perNode.reduce((x, y) => x + y, 0) >= CALLS) break;
  }
  t.ok(perNode.every((n) => n > 0), `the calls were spread over both nodes (${perNode.join(' / ')})`);
  t.equal(perNode.reduce((x, y) => x + y, 0), CALLS, 'each call handled once');

  await upload.waitFor(() => upload.delivered().length >= CALLS, 20_000, 'the recordings');
  const recs = upload.delivered();
  t.equal(new Set(recs.map((r) => r.query.call_id)).size, CALLS, 'one recording per call');
  t.ok(recs.every((r) => r.complete && r.body.length > 44), 'complete files with audio data');
});
