/**
 * A restart keeps what the service promised to remember on one node: a phone registered before
 * it is still listed and is rung by a call after it, and an API token issued before it still
 * works (registrations and tokens are in the SQLite file, not in memory).
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startTestService, type TestService } from '../../helpers/service';
import { REALM, addCallflow, addDevice, answerOn, bridged, callFrom, ended, nextCall, registerPhone } from './setup';

let svc: TestService | undefined;
t.teardown(async () => { await svc?.close(); });

t.test('after a restart on the same store: registration listed and rung, token still valid', async (t) => {
  const first = await startTestService();
  svc = first;
  const acct = await first.store.createAccount(null, { name: 'restart', realm: REALM, pvt_api_key: 'restart-key' });
  const callee = await addDevice(first, acct._id, '2001');
  await addDevice(first, acct._id, '1001');
  await addCallflow(first, acct._id, ['2000'], { module: 'device', data: { id: callee } });
  const phone = await registerPhone(first, '2001');
  const auth = await fetch(`${first.apiUrl}/v2/api_auth`, { method: 'PUT', body: JSON.stringify({ data: { api_key: 'restart-key' } }) });
  t.equal(auth.status, 201, 'token issued before the restart');
  const token = ((await auth.json()) as { auth_token: string }).auth_token;

  const second = await first.restart();
  svc = second;
  t.not(second.service, first.service, 'a new Service on the same files and ports');

  const res = await fetch(`${second.apiUrl}/v2/accounts/${acct._id}/registrations`, { headers: { 'X-Auth-Token': token } });
  t.equal(res.status, 200, 'the token from before the restart is accepted');
  const body = (await res.json()) as { data: { username: string; source_port: number }[] };
  t.match(body.data, [{ username: '2001', source_port: phone.port }], 'the registration from before the restart is listed');
  t.match(await (await fetch(`${second.apiUrl}/metrics`)).text(), /b2bua_registrations 1/, 'the gauge counts it at start');

  const caller = { port: await freePort(), rtp: (await registerPhone(second, '1001')).rtp };
  const uas = answerOn(phone.port, 'phone-answer.xml', phone.rtp.port);
  const callP = nextCall(second);
  const uac = callFrom(second, 'phone-call.xml', { user: '1001', number: '2000', rtpPort: caller.rtp.port, port: caller.port });
  const call = await callP;
  await bridged(call);
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(rb.code, 0, `the phone registered before the restart was rung and answered ${rb.errors}`);
  t.equal(ra.code, 0, `caller scenario passed ${ra.errors}`);
  await ended(call);
  phone.rtp.close();
  caller.rtp.close();
});
