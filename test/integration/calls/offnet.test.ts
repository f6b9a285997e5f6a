/**
 * Calls through trunks: a phone dialling out (no callflow, the account's resource carries it),
 * a carrier delivering a DID to a phone, and trunk failover (first trunk 503, the next one
 * answers). Carriers are SIPp on 127.0.0.2 / 127.0.0.3 so that they are told apart from the
 * phones (127.0.0.1) by source address, as trunks are in production.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import { startTestService, type TestService } from '../../helpers/service';
import { estimateFrequency } from './audio';
import {
  CALLEE_TONE, CALLER_TONE, addCallflow, addDevice, addResource, answerOn, bridged, callFrom, ended, exchangeTones,
  nextCall, registerPhone, seedAccount,
} from './setup';

const CARRIER = '127.0.0.2';
const BROKEN_CARRIER = '127.0.0.3';

let svc: TestService;
let accountId: string;
let carrierPort: number;
let brokenPort: number;

t.before(async () => {
  svc = await startTestService();
  accountId = await seedAccount(svc);
  const phone = await addDevice(svc, accountId, '2001');
  await addDevice(svc, accountId, '1001');
  await addCallflow(svc, accountId, ['4420000'], { module: 'device', data: { id: phone } });
  carrierPort = await freePort(CARRIER);
  brokenPort = await freePort(BROKEN_CARRIER);
  // The broken trunk is cheaper, so it is tried first for the numbers it covers.
  await addResource(svc, accountId, 'broken', [{ server: BROKEN_CARRIER, port: brokenPort }], ['^1555765'], 1);
  await addResource(svc, accountId, 'carrier', [{ server: CARRIER, port: carrierPort }], ['^\\+?1555[0-9]{7}$'], 2);
});
t.teardown(async () => {
  await svc?.close();
});

async function metricsText(): Promise<string> {
  return (await fetch(`${svc.apiUrl}/metrics`)).text();
}

t.test('onnet to offnet: no callflow, the matching resource carries it', async (t) => {
  const a = await registerPhone(svc, '1001');
  const carrierRtp = await RtpEndpoint.open();
  const uas = answerOn(carrierPort, 'phone-answer.xml', carrierRtp.port, CARRIER);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '15551234567', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  await bridged(call);
  t.equal(call.direction?.label, 'onnet_to_offnet');
  t.equal(call.answeredTarget?.uri, `sip:15551234567@${CARRIER}:${carrierPort}`, 'sent through the carrier gateway');
  const ev = await exchangeTones(svc, call, a.rtp, carrierRtp);
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `phone scenario ${ra.errors}`);
  t.equal(rb.code, 0, `carrier scenario ${rb.errors}`);
  await ended(call);
  t.ok(ev.callerPackets >= 40 && ev.calleePackets >= 40, `rtpengine saw both ways (${ev.callerPackets}/${ev.calleePackets})`);
  t.ok(Math.abs(estimateFrequency(carrierRtp.received) - CALLER_TONE) < 30, 'carrier hears the phone');
  t.ok(Math.abs(estimateFrequency(a.rtp.received) - CALLEE_TONE) < 30, 'phone hears the carrier');
  t.match(await metricsText(), /b2bua_calls_total\{caller="onnet",callee="offnet",outcome="answered"\} 1/);
  a.rtp.close();
  carrierRtp.close();
});

t.test('offnet to onnet: a carrier delivers a DID to a phone', async (t) => {
  const b = await registerPhone(svc, '2001');
  const carrierRtp = await RtpEndpoint.open();
  const uas = answerOn(b.port, 'phone-answer.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'trunk-call.xml', {
    user: '15559990000', realm: 'carrier.test', number: '4420000', rtpPort: carrierRtp.port,
    port: await freePort(CARRIER), host: CARRIER,
  });
  const call = await callP;
  await bridged(call);
  t.equal(call.direction?.label, 'offnet_to_onnet');
  const ev = await exchangeTones(svc, call, carrierRtp, b.rtp);
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `carrier scenario ${ra.errors}`);
  t.equal(rb.code, 0, `phone scenario ${rb.errors}`);
  await ended(call);
  t.ok(ev.callerPackets >= 40 && ev.calleePackets >= 40, `rtpengine saw both ways (${ev.callerPackets}/${ev.calleePackets})`);
  t.ok(Math.abs(estimateFrequency(b.rtp.received) - CALLER_TONE) < 30, 'phone hears the carrier');
  t.ok(Math.abs(estimateFrequency(carrierRtp.received) - CALLEE_TONE) < 30, 'carrier hears the phone');
  const rec = (await svc.store.list('calls', accountId)).find((r) => r.call_id === call.callId);
  t.match(rec, { direction: 'offnet_to_onnet', caller: { type: 'resource' }, callee: { type: 'device' }, dialed_number: '4420000' });
  b.rtp.close();
  carrierRtp.close();
});

t.test('trunk failover: the first trunk answers 503, the next one takes the call', async (t) => {
  const a = await registerPhone(svc, '1001');
  const carrierRtp = await RtpEndpoint.open();
  const broken = answerOn(brokenPort, 'trunk-503.xml', 0, BROKEN_CARRIER);
  const good = answerOn(carrierPort, 'phone-answer.xml', carrierRtp.port, CARRIER);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '15557654321', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  await bridged(call);
  t.equal(call.answeredTarget?.uri, `sip:15557654321@${CARRIER}:${carrierPort}`, 'answered by the second trunk');
  const [ra, rb, rg] = await Promise.all([uac, broken.done, good.done]);
  t.equal(ra.code, 0, `phone scenario ${ra.errors}`);
  t.equal(rb.code, 0, `broken trunk got the INVITE and answered 503 ${rb.errors}`);
  t.equal(rg.code, 0, `good trunk scenario ${rg.errors}`);
  await ended(call);
  a.rtp.close();
  carrierRtp.close();
});

t.test('a device dialling a number nothing routes gets 404', async (t) => {
  const a = await registerPhone(svc, '1001');
  const callP = nextCall(svc);
  const r = callFrom(svc, 'phone-call-busy.xml', { user: '1001', number: '999', rtpPort: a.rtp.port, port: a.port, timeoutMs: 15_000 });
  const call = await callP;
  await ended(call);
  t.equal(call.end?.status, 404);
  t.equal(call.end?.cause, 'UNALLOCATED_NUMBER');
  await r;
  a.rtp.close();
});
