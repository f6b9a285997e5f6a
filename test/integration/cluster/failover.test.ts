/**
 * A node SIGKILLed behind the edge: new calls do not fail (the edge moves an unanswered INVITE
 * to the other node, then its probe takes the node out: how long that takes is printed),
 * registrations and API tokens keep working on the other node, the provider registration's
 * lease moves to it, and the recordings the dead node had queued are delivered once it is
 * started again.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startSipp, type SippProcess } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { csv, register, REALM, startCluster, startProviderRegistrar, type Cluster } from './setup';

const LEASE_SEC = 3;

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now();
}

/** Recorded calls from 1001 to 2000 through the edge, Call-IDs `<tag>-<n>@...`. */
function calls(c: Cluster, callerPort: number, tag: string, n: number, rate: number): SippProcess {
  return startSipp({
    scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: 40_000,
    args: ['-m', String(n), '-l', String(n), '-r', String(rate), '-cid_str', `${tag}-%u@cluster.test`,
      '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  });
}

t.test('a node SIGKILLed mid-load', async (t) => {
  const upload = await UploadServer.start();
  t.teardown(() => upload.close());
  const provider = await startProviderRegistrar();
  t.teardown(() => provider.close());
  const c = await startCluster(t, {
    uploadUrl: upload.url, providerPort: provider.port,
    env: { B2BUA_STATE__LEASE_TTL_SEC: String(LEASE_SEC), B2BUA_STATE__NODE_TTL_SEC: '3' },
  });

  // One node holds the provider registration: the victim.
  await until('the provider registration', () => provider.seen.length > 0, 10_000);
  await new Promise((r) => setTimeout(r, 1500));
  const holder = provider.seen[0].contactHost;
  t.ok(provider.seen.every((s) => s.contactHost === holder), `one node registers to the provider (${holder})`);
  const victim = c.nodes.findIndex((n) => n.sip.startsWith(`${holder}:`));
  const survivor = 1 - victim;
  t.ok(victim >= 0, `the holder is ${c.nodes[victim]?.id}`);

  const [callerPort, calleePort] = [await freePort(), await freePort()];
  t.equal(await register(c, '2001', calleePort, 'phone-register-natted.xml'), 0, 'callee registered');
  t.equal(await register(c, '1001', callerPort), 0, 'caller registered');
  const token = await c.token(victim);

  // Recorded calls while the upload server is down: each node queues its recordings.
  await upload.down();
  const callee = startSipp({ scenario: 'edge-phone-answer.xml', localPort: calleePort, timeoutMs: 50_000, args: ['-m', '12', '-key', 'rtpport', '9'] });
  const first = await calls(c, callerPort, 'queued', 4, 4).done;
  t.equal(first.stats?.successful, 4, `4 recorded calls on both nodes: ${first.errors}`);
  const queuedOnVictim = await until('the victim queued its recordings', async () => (await c.metric(victim, 'b2bua_upload_queue_depth')) > 0, 10_000)
    .then(() => c.metric(victim, 'b2bua_upload_queue_depth'));

  // SIGKILL the victim; calls start right away.
  const victimSip = c.nodes[victim].sip;
  const killedAt = Date.now();
  c.nodes[victim].svc.child.kill('SIGKILL');
  const load = calls(c, callerPort, 'after', 8, 4);
  const noticedAt = await until('the edge takes the node out', () => c.edge.output().includes(`node down: sip:${victimSip}`), 10_000);
  t.comment(`edge noticed the dead node ${noticedAt - killedAt} ms after the SIGKILL (probe every 1 s); calls sent to it meanwhile moved to the other node after 1.5 s`);
  const after = await load.done;
  t.equal(after.code, 0, `no new call failed after the kill: ${after.errors}`);
  t.equal(after.stats?.successful, 8);
  t.equal(after.stats?.failed, 0);
  t.equal((await callee.done).code, 0, 'the callee answered every call');

  t.equal(await register(c, '1001', callerPort), 0, 'REGISTER through the edge still works');
  const regs = await c.api(survivor, `/v2/accounts/${c.accountId}/registrations`, token);
  t.equal(regs.status, 200, 'a token issued by the dead node works on the other one');
  t.equal((regs.body.data as unknown[]).length, 2, 'both phones registered');

  const survivorHost = c.nodes[survivor].sip.split(':')[0];
  const movedAt = await until('the provider registration to move', () => provider.seen.some((s) => s.contactHost === survivorHost), 10_000);
  const moved = provider.seen.find((s) => s.contactHost === survivorHost);
  t.comment(`provider registration taken over ${(moved?.at ?? movedAt) - killedAt} ms after the SIGKILL (lease ${LEASE_SEC} s)`);
  t.ok((moved?.at ?? movedAt) - killedAt <= LEASE_SEC * 1000 * 4 / 3 + 1000, 'within the lease time (plus one look)');

  // Uploads back: the survivor delivers its own; the victim's wait for its restart.
  await upload.up();
  const queuedIds = new Set(['queued-1@cluster.test', 'queued-2@cluster.test', 'queued-3@cluster.test', 'queued-4@cluster.test']);
  const queuedDelivered = (): number => new Set(upload.delivered().map((u) => u.query.call_id).filter((id) => queuedIds.has(id ?? ''))).size;
  await until('the survivor delivers', () => queuedDelivered() >= 4 - queuedOnVictim, 15_000);
  t.equal(queuedDelivered(), 4 - queuedOnVictim, `the victim's ${queuedOnVictim} queued recording(s) wait for it`);
  await c.restart(victim);
  await until('the restarted node delivers its queue', () => queuedDelivered() === 4, 20_000);
  t.pass('after the restart, every queued recording was delivered');
});
