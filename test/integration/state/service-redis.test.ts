/**
 * The service with `state.driver: "redis"` against a real redis-server: registrations and
 * tokens are in Redis (another node would see them), a call has its live-call directory entry
 * while it lasts, and an outage is survived: while Redis is down a REGISTER gets 503 and the
 * API 503 (nothing crashes), and once Redis is back both work again without a restart.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { redisState, startRedis } from '../../helpers/redis';
import { startTestService } from '../../helpers/service';
import { runSipp } from '../../helpers/sipp';
import { REALM, addCallflow, addDevice, answerOn, bridged, callFrom, csv, ended, nextCall, registerPhone } from '../calls/setup';
import { ServiceState } from '../../../src/service';

t.test('service on Redis state: registrations, tokens, call directory, one outage', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.close());
  const prefix = 'svc:';
  const svc = await startTestService({ config: { state: { driver: 'redis', url: redis.url, keyPrefix: prefix, nodeId: 'node-a', commandTimeoutMs: 500 } } });
  t.teardown(() => svc.close());
  const probe = await redisState(redis);
  t.teardown(() => probe.close());

  const acct = await svc.store.createAccount(null, { name: 'redis', realm: REALM, pvt_api_key: 'redis-key' });
  const callee = await addDevice(svc, acct._id, '2001');
  await addDevice(svc, acct._id, '1001');
  await addCallflow(svc, acct._id, ['2000'], { module: 'device', data: { id: callee } });
  const phone = await registerPhone(svc, '2001');
  t.equal(await probe.redis.exists(`${prefix}reg:aor:2001@${REALM}`), 1, 'the binding is in Redis');

  const login = async (): Promise<Response> => fetch(`${svc.apiUrl}/v2/api_auth`, { method: 'PUT', body: JSON.stringify({ data: { api_key: 'redis-key' } }), signal: AbortSignal.timeout(5000) });
  const auth = await login();
  t.equal(auth.status, 201);
  const token = ((await auth.json()) as { auth_token: string }).auth_token;
  t.equal((await probe.redis.keys(`${prefix}tok:*`)).length, 1, 'the token (its hash) is in Redis');
  const registrations = (): Promise<Response> => fetch(`${svc.apiUrl}/v2/accounts/${acct._id}/registrations`, { headers: { 'X-Auth-Token': token }, signal: AbortSignal.timeout(5000) });
  const listed = await registrations();
  t.equal(listed.status, 200);
  t.match(((await listed.json()) as { data: unknown[] }).data, [{ username: '2001', source_port: phone.port }], 'listed from Redis');

  // A call: its directory entry names this node while it lives and is gone when it ends.
  const caller = { port: await freePort(), rtp: (await registerPhone(svc, '1001')).rtp };
  const uas = answerOn(phone.port, 'phone-answer.xml', phone.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '2000', rtpPort: caller.rtp.port, port: caller.port });
  const call = await callP;
  await bridged(call);
  t.equal(await probe.redis.get(`${prefix}call:${call.callId}`), 'node-a', 'live call -> owning node');
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.same([ra.code, rb.code], [0, 0], `call scenarios passed ${ra.errors} ${rb.errors}`);
  await ended(call);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(await probe.redis.exists(`${prefix}call:${call.callId}`), 0, 'removed when the call ended');
  phone.rtp.close();
  caller.rtp.close();

  // The outage.
  await redis.stop();
  const refused = await runSipp({
    scenario: 'phone-register-unavailable.xml', remote: svc.sipTarget, localPort: phone.port, timeoutMs: 10_000,
    args: ['-m', '1', '-inf', csv(['2001', REALM, 'pw-2001', '', '0'])],
  });
  t.equal(refused.code, 0, `REGISTER during the outage: 503 with Retry-After ${refused.errors}`);
  t.equal((await registrations()).status, 503, 'the API answers 503 during the outage');
  t.equal((await login()).status, 503, 'api_auth too');
  t.equal(svc.service.state, ServiceState.Running, 'the service is still running');
  const during = await (await fetch(`${svc.apiUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  t.match(during, /^b2bua_state_up 0$/m, 'the outage is on /metrics');
  t.match(during, /^b2bua_state_unavailable_total [1-9]/m, 'with the operations it failed');

  await redis.start();
  // Redis came back empty (no persistence): the phone registers again, a new token is issued.
  let again: Error | undefined;
  for (let i = 0; i < 50; i++) {
    try {
      (await registerPhone(svc, '2001')).rtp.close();
      again = undefined;
      break;
    } catch (err) {
      again = err as Error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  t.equal(again, undefined, 'REGISTER works again once Redis is back');
  t.equal(await probe.redis.exists(`${prefix}reg:aor:2001@${REALM}`), 1, 'and the binding is in Redis again');
  t.equal((await login()).status, 201, 'api_auth works again');
  t.match(await (await fetch(`${svc.apiUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text(), /^b2bua_state_up 1$/m, 'and the gauge says so');
});
