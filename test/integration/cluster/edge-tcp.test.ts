/**
 * The shipped edge over TCP (LISTEN_TCP, the same port as UDP): a phone registers over TCP
 * through the edge and calls a phone registered over UDP; the nodes behind the edge only
 * speak UDP, so the edge changes transport both ways (double Record-Route) for the INVITE, its
 * answer, the ACK and the BYE. The node sees the phone's real source with transport=tcp.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { runSipp, startSipp } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { csv, register, REALM, startCluster } from './setup';

t.test('a phone on TCP registers and calls through the edge', async (t) => {
  const upload = await UploadServer.start();
  t.teardown(() => upload.close());
  const c = await startCluster(t, { uploadUrl: upload.url });
  const [callerPort, calleePort] = [await freePort(), await freePort()];
  t.equal(await register(c, '2001', calleePort, 'phone-register-natted.xml'), 0, 'the callee registers over UDP');
  const tcp = ['-t', 't1'];
  const reg = await runSipp({
    scenario: 'phone-register.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: 20_000,
    args: [...tcp, '-m', '1', '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '', '0']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', REALM],
  });
  t.equal(reg.code, 0, `the caller registers over TCP: ${reg.errors}`);
  const token = await c.token(0);
  const regs = await c.api(0, `/v2/accounts/${c.accountId}/registrations`, token);
  const caller = (regs.body.data as { username: string; source_ip: string; source_port: number; transport: string }[]).find((r) => r.username === '1001');
  t.match(caller, { source_ip: '127.0.0.1', transport: 'tcp' }, 'the registration lists the phone\'s real source, over TCP (X-Real-Source from the edge)');

  const callee = startSipp({ scenario: 'edge-phone-answer.xml', localPort: calleePort, timeoutMs: 30_000, args: ['-m', '1', '-key', 'rtpport', '9'] });
  const call = await runSipp({
    scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: 30_000,
    args: [...tcp, '-m', '1', '-cid_str', 'tcp-%u@cluster.test', '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  });
  t.equal(call.code, 0, `the TCP caller's call completed (INVITE, 200, ACK, BYE over TCP): ${call.errors}`);
  t.equal((await callee.done).code, 0, 'the UDP callee got the call and its BYE');
  await upload.waitFor(() => upload.delivered().length >= 1, 20_000, 'the recording');
  t.ok(upload.delivered()[0].complete, 'the call was recorded and uploaded');
});
