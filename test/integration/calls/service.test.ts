/**
 * The Service as a whole: start, the API routes it adds (/metrics, registrations), a start
 * that fails half-way releases what it had started, close() twice.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { ServiceStartError, ServiceState } from '../../../src/service';
import { startTestService, type TestService } from '../../helpers/service';
import {
  REALM, addCallflow, addDevice, answerOn, bridged, callFrom, ended, nextCall, registerPhone, seedAccount,
} from './setup';

let svc: TestService;

t.before(async () => {
  svc = await startTestService();
});
t.teardown(async () => {
  await svc?.close();
});

t.test('registrations API lists a phone registered through the embedded engine', async (t) => {
  const acct = await svc.store.createAccount(null, { name: 'svc', realm: REALM, pvt_api_key: 'svc-test-key' });
  await addDevice(svc, acct._id, '5001');
  const phone = await registerPhone(svc, '5001');
  const auth = await fetch(`${svc.apiUrl}/v2/api_auth`, { method: 'PUT', body: JSON.stringify({ data: { api_key: 'svc-test-key' } }) });
  t.equal(auth.status, 201, 'api_auth with the account key');
  const token = ((await auth.json()) as { auth_token: string }).auth_token;
  const res = await fetch(`${svc.apiUrl}/v2/accounts/${acct._id}/registrations`, { headers: { 'X-Auth-Token': token } });
  t.equal(res.status, 200);
  const body = (await res.json()) as { status: string; data: { username: string; source_port: number; realm: string }[] };
  t.equal(body.status, 'success');
  t.match(body.data, [{ username: '5001', realm: REALM, source_port: phone.port }]);
  const anon = await fetch(`${svc.apiUrl}/v2/accounts/${acct._id}/registrations`);
  t.equal(anon.status, 401, 'registrations need a token');
  const metrics = await fetch(`${svc.apiUrl}/metrics`);
  t.equal(metrics.status, 200);
  t.match(await metrics.text(), /b2bua_registrations 1/);
  phone.rtp.close();
});

t.test('a start that fails releases what it started, close is idempotent', async (t) => {
  // Same SIP port as the running service: the engine cannot bind.
  await t.rejects(startTestService({ config: { engine: { sip: { listen: [{ host: '127.0.0.1', port: svc.sipPort, transports: ['udp', 'tcp'] }] } } } }),
    ServiceStartError);
  t.equal(svc.service.state, ServiceState.Running, 'the running service is untouched');
  const ours = spawnSync('pgrep', ['-P', String(process.pid), '-x', 'rtpengine'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  t.equal(ours.length, 1, 'the failed start stopped the rtpengine it had started (only the running service has one)');
  const other = await startTestService();
  t.equal(other.service.state, ServiceState.Running);
  await Promise.all([other.service.close(), other.service.close()]);
  t.equal(other.service.state, ServiceState.Closed);
  await other.close();
});

t.test('close() with a call up: both legs get BYE before SIP goes away', async (t) => {
  const own = await startTestService();
  try {
    const accountId = await seedAccount(own);
    await addDevice(own, accountId, '1001');
    const callee = await addDevice(own, accountId, '2001');
    await addCallflow(own, accountId, ['2000'], { module: 'device', data: { id: callee } });
    const b = await registerPhone(own, '2001');
    const a = await registerPhone(own, '1001');
    const uas = answerOn(b.port, 'phone-answer.xml', b.rtp.port);
    const callP = nextCall(own);
    const uac = callFrom(own, 'phone-call-wait-bye.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
    const call = await callP;
    await bridged(call);
    await own.service.close();
    const [ra, rb] = await Promise.all([uac, uas.done]);
    t.equal(ra.code, 0, `caller got BYE ${ra.errors}`);
    t.equal(rb.code, 0, `callee got BYE ${rb.errors}`);
    await ended(call);
    t.equal(call.end?.cause, 'SYSTEM_SHUTDOWN');
    a.rtp.close();
    b.rtp.close();
  } finally {
    await own.close();
  }
});
