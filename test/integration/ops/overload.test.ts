/**
 * Admission of the real process under overload (`node dist/src/main.js`, recorder threads on
 * by default): a recorded call up, the whole process stopped for 800 ms (SIGSTOP, as a machine
 * out of CPU would hold it), then:
 *  - the recorder threads report the late run, the guard is raised: a new INVITE gets 503 with
 *    Retry-After, an OPTIONS probe too, /metrics shows b2bua_recorder_overloaded 1 and the
 *    refusal by reason, the log says why;
 *  - after overloadClearSec of on-time runs, OPTIONS is answered 200 and an INVITE is taken
 *    again (407: the challenge comes after admission);
 *  - calls.maxCalls: with that many calls up, a new INVITE gets 503 (max_calls).
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startSipp } from '../../helpers/sipp';
import { sendRequest } from '../../helpers/kamailio';
import { UploadServer } from '../../helpers/upload-server';
import { childEnv, startChild, waitExit } from './fixtures/child-service';
import { sample } from './fixtures/prom-text';
import { inviteStatus } from './fixtures/sip-probe';
import { REALM, csv, metricValue, register, seed, until } from './fixtures/ops-account';

async function optionsStatus(port: number): Promise<number> {
  const r = await sendRequest('127.0.0.1', port, 'OPTIONS', 3000);
  return Number(/^SIP\/2\.0 (\d{3})/.exec(r ?? '')?.[1] ?? 0);
}

t.test('a stalled recorder refuses new calls until it keeps time; maxCalls refuses past its count', async (t) => {
  const upload = await UploadServer.start();
  t.teardown(() => upload.close());
  const e = await childEnv({
    B2BUA_RECORDER__OVERLOAD_LAG_MS: '200',
    B2BUA_RECORDER__OVERLOAD_CLEAR_SEC: '2',
    B2BUA_CALLS__MAX_CALLS: '2',
    B2BUA_SERVICE__SHUTDOWN__DRAIN_SEC: '0',
  });
  await seed(e.env.B2BUA_STORE__PATH, upload.url);
  const svc = await startChild(e);
  t.teardown(() => { if (svc.child.exitCode === null) svc.child.kill('SIGKILL'); });
  const target = `127.0.0.1:${svc.sipPort}`;
  const probe = (): Promise<number> => inviteStatus('127.0.0.1', svc.sipPort, { user: '1001', realm: REALM, number: '2000' });
  const [callerPort, calleePort, caller2Port] = [await freePort(), await freePort(), await freePort()];
  await register(target, '1001', callerPort);
  await register(target, '2001', calleePort);
  const callee = startSipp({ scenario: 'rec-phone-answer.xml', localPort: calleePort, timeoutMs: 60_000, args: ['-m', '2', '-key', 'rtpport', '9'] });
  const call = (port: number): ReturnType<typeof startSipp> => startSipp({
    scenario: 'phone-call-wait-bye.xml', remote: target, localPort: port, timeoutMs: 60_000,
    args: ['-m', '1', '-inf', csv(['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  });
  const first = call(callerPort);
  await until('a call up', async () => (await metricValue(svc.apiUrl, 'b2bua_active_calls')) === 1, 20_000);
  await new Promise((r) => setTimeout(r, 1500)); // answered after 1 s of ringing: recording

  t.equal(await probe(), 407, 'one call of two allowed, recorder on time: a new INVITE is taken (challenged)');
  t.equal(await optionsStatus(svc.sipPort), 200, 'OPTIONS 200');

  svc.child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 800));
  svc.child.kill('SIGCONT');
  await until('the guard raised', () => Promise.resolve(svc.output().includes('recorder overloaded')), 5000);
  t.equal(await probe(), 503, 'overloaded: a new INVITE gets 503');
  t.equal(await optionsStatus(svc.sipPort), 503, 'and the edge proxy\'s OPTIONS probe');
  const during = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.equal(sample(during, 'b2bua_recorder_overloaded'), 1, '/metrics: b2bua_recorder_overloaded 1');
  t.equal(sample(during, 'b2bua_invites_refused_total', { reason: 'recorder_overload' }), 1, 'the refused INVITE counted by reason');
  const line = svc.output().split('\n').find((l) => l.includes('recorder overloaded')) ?? '';
  t.ok(Number(/"lateMs":(\d+)/.exec(line)?.[1]) >= 400, `the log line names how late the thread ran: ${line.slice(0, 200)}`);

  await until('the guard lowered', () => Promise.resolve(svc.output().includes('recorder keeps up again')), 10_000);
  t.equal(await optionsStatus(svc.sipPort), 200, 'keeping up again for overloadClearSec: OPTIONS 200');
  t.equal(await probe(), 407, 'and a new INVITE is taken');
  t.equal(await metricValue(svc.apiUrl, 'b2bua_recorder_overloaded'), 0, '/metrics: 0 again');

  const second = call(caller2Port);
  await until('two calls up', async () => (await metricValue(svc.apiUrl, 'b2bua_active_calls')) === 2, 20_000);
  await new Promise((r) => setTimeout(r, 1500)); // answered: the drain below hangs up talking calls, not ringing ones
  t.equal(await probe(), 503, 'calls.maxCalls (2) calls up: a new INVITE gets 503');
  const after = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.equal(sample(after, 'b2bua_invites_refused_total', { reason: 'max_calls' }), 1, 'counted as max_calls');

  svc.child.kill('SIGTERM'); // drainSec 0: both calls hung up by the service
  t.same(await waitExit(svc, 60_000), { code: 0, signal: null }, 'exit 0');
  const [a, b, c] = await Promise.all([first.done, second.done, callee.done]);
  t.equal(a.code, 0, `first caller got the service's BYE: ${a.errors}`);
  t.equal(b.code, 0, `second caller too: ${b.errors}`);
  t.equal(c.code, 0, `callee: ${c.errors}`);
});
