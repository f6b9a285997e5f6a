/**
 * Onnet calls end to end: SIPp phones REGISTER with digest auth and call each other through the
 * service (embedded engine, supervised rtpengine, SQLite store); tones both ways through
 * rtpengine; call record and metrics checked.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startTestService, type TestService } from '../../helpers/service';
import { estimateFrequency } from './audio';
import {
  CALLEE_TONE, CALLER_TONE, addCallflow, addDevice, answerOn, bridged, callFrom, ended, exchangeTones, nextCall,
  registerPhone, seedAccount,
} from './setup';

let svc: TestService;
let accountId: string;

t.before(async () => {
  svc = await startTestService();
  accountId = await seedAccount(svc);
  const callee = await addDevice(svc, accountId, '2001');
  await addDevice(svc, accountId, '1001');
  await addCallflow(svc, accountId, ['2000'], { module: 'device', data: { id: callee } });
});
t.teardown(async () => {
  await svc?.close();
});

t.test('onnet to onnet: tones both ways through rtpengine, record and metrics', async (t) => {
  const b = await registerPhone(svc, '2001');
  const a = { port: await freePort(), rtp: (await registerPhone(svc, '1001')).rtp };
  const uas = answerOn(b.port, 'phone-answer.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  await bridged(call);
  t.equal(call.direction?.label, 'onnet_to_onnet', 'direction');
  const evidence = await exchangeTones(svc, call, a.rtp, b.rtp);
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `caller scenario passed ${ra.errors}`);
  t.equal(rb.code, 0, `callee scenario passed ${rb.errors}`);
  await ended(call);
  t.ok(evidence.callerPackets >= 40, `rtpengine counted the caller's packets (${evidence.callerPackets})`);
  t.ok(evidence.calleePackets >= 40, `rtpengine counted the callee's packets (${evidence.calleePackets})`);
  t.ok(b.rtp.received.length >= 40, `callee received RTP (${b.rtp.received.length})`);
  t.ok(a.rtp.received.length >= 40, `caller received RTP (${a.rtp.received.length})`);
  t.ok(Math.abs(estimateFrequency(b.rtp.received) - CALLER_TONE) < 30, 'callee hears the caller tone');
  t.ok(Math.abs(estimateFrequency(a.rtp.received) - CALLEE_TONE) < 30, 'caller hears the callee tone');
  const records = await svc.store.list('calls', accountId);
  const rec = records.find((r) => r.call_id === call.callId);
  t.ok(rec, 'call record written');
  t.match(rec, { direction: 'onnet_to_onnet', hangup_cause: 'NORMAL_CLEARING', hangup_by: 'caller', caller: { type: 'device' }, callee: { type: 'device' } });
  t.type(rec?.timestamp_answer, 'number');
  const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.match(metrics, /b2bua_calls_total\{caller="onnet",callee="onnet",outcome="answered"\} 1/);
  t.match(metrics, /b2bua_active_calls 0/);
  b.rtp.close();
  a.rtp.close();
});
