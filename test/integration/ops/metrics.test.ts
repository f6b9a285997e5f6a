/**
 * /metrics through the whole service after real traffic: two SIPp phones register (digest
 * auth), a phone calls out through a SIPp carrier (onnet -> offnet), the carrier calls a phone
 * (offnet -> onnet, recorded by the account and uploaded to a real HTTP server). The scrape
 * must show exactly those calls, registrations and recordings, and engine counters that moved.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import { startTestService, type TestService } from '../../helpers/service';
import { UploadServer } from '../../helpers/upload-server';
import {
  addCallflow, addDevice, addResource, answerOn, bridged, callFrom, ended, exchangeTones, nextCall, registerPhone, seedAccount,
} from '../calls/setup';
import { sample, total } from './fixtures/prom-text';

const CARRIER = '127.0.0.2';

let svc: TestService;
let upload: UploadServer;
let accountId: string;
let carrierPort: number;

t.before(async () => {
  upload = await UploadServer.start();
  svc = await startTestService({ config: { delivery: { allow: ['127.0.0.0/8'], backoffBaseMs: 200, backoffMaxMs: 1000 }, recorder: { encoderWorkers: 1 } } });
  accountId = await seedAccount(svc);
  const phone = await addDevice(svc, accountId, '2001');
  await addDevice(svc, accountId, '1001');
  await addCallflow(svc, accountId, ['4420000'], { module: 'device', data: { id: phone } });
  carrierPort = await freePort(CARRIER);
  await addResource(svc, accountId, 'carrier', [{ server: CARRIER, port: carrierPort }], ['^\\+?1555[0-9]{7}$']);
  await svc.store.merge('accounts', accountId, {
    call_recording: { account: { inbound: { offnet: { enabled: true, url: `${upload.url}/rec`, format: 'wav' } } } },
  });
});
t.teardown(async () => {
  await svc?.close();
  await upload?.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${svc.apiUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

t.test('counts after registrations and a call each way', async (t) => {
  const before = await scrape();
  t.equal(sample(before, 'b2bua_registrations'), 0, 'no registration yet');
  t.equal(total(before, 'b2bua_calls_total'), 0, 'no call yet');

  const a = await registerPhone(svc, '1001');
  const b = await registerPhone(svc, '2001');

  // onnet -> offnet (not recorded: the account records inbound from offnet only)
  const carrierRtp = await RtpEndpoint.open();
  const out = answerOn(carrierPort, 'phone-answer.xml', carrierRtp.port, CARRIER);
  let callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '15551234567', rtpPort: a.rtp.port, port: a.port });
  const c1 = await callP;
  await bridged(c1);
  const during = await scrape();
  t.equal(sample(during, 'b2bua_active_calls'), 1, 'one call up while bridged');
  await exchangeTones(svc, c1, a.rtp, carrierRtp);
  const [r1, r2] = await Promise.all([uac, out.done]);
  t.equal(r1.code, 0, `phone scenario ${r1.errors}`);
  t.equal(r2.code, 0, `carrier scenario ${r2.errors}`);
  await ended(c1);

  // offnet -> onnet, recorded
  const inRtp = await RtpEndpoint.open();
  const ans = answerOn(b.port, 'phone-answer.xml', b.rtp.port);
  callP = nextCall(svc);
  const trunk = callFrom(svc, 'trunk-call.xml', {
    user: '15559990000', realm: 'carrier.test', number: '4420000', rtpPort: inRtp.port, port: await freePort(CARRIER), host: CARRIER,
  });
  const c2 = await callP;
  await bridged(c2);
  await exchangeTones(svc, c2, inRtp, b.rtp);
  const [r3, r4] = await Promise.all([trunk, ans.done]);
  t.equal(r3.code, 0, `carrier scenario ${r3.errors}`);
  t.equal(r4.code, 0, `phone scenario ${r4.errors}`);
  await ended(c2);
  await upload.waitFor(() => upload.delivered().some((u) => u.query.call_id === c2.callId), 20_000, 'the recording upload');

  const m = await scrape();
  t.equal(sample(m, 'b2bua_registrations'), 2, 'two phones registered');
  t.equal(sample(m, 'b2bua_active_calls'), 0, 'no call left');
  t.equal(sample(m, 'b2bua_calls_total', { caller: 'onnet', callee: 'offnet', outcome: 'answered' }), 1, 'onnet -> offnet answered');
  t.equal(sample(m, 'b2bua_calls_total', { caller: 'offnet', callee: 'onnet', outcome: 'answered' }), 1, 'offnet -> onnet answered');
  t.equal(total(m, 'b2bua_calls_total'), 2, 'nothing else counted');
  t.equal(total(m, 'b2bua_recordings_started_total'), 1, 'one recording started in all');
  t.equal(sample(m, 'b2bua_recordings_finished_total', { outcome: 'completed' }), 1, 'one recording completed');
  t.equal(sample(m, 'b2bua_upload_attempts_total', { result: 'success' }), 1, 'one upload');
  t.equal(sample(m, 'b2bua_upload_duration_seconds_count', { result: 'success' }), 1, 'its latency observed');
  t.equal(sample(m, 'b2bua_upload_queue_depth', { status: 'pending' }), 0, 'queue drained');
  for (const leg of ['caller', 'callee']) {
    const got = sample(m, 'b2bua_recorder_rtp_packets_total', { leg, kind: 'received' }) ?? 0;
    t.ok(got >= 40, `recorder received the ${leg} leg's packets (${got})`);
  }
  t.ok((sample(m, 'b2bua_encoder_cpu_seconds_total', { format: 'wav' }) ?? 0) > 0, 'encoder time counted');
  // Server side: 2 phones x (REGISTER 401 + REGISTER 200) = 4; the phone's INVITE (407) and
  // INVITE with credentials + its BYE = 3; the carrier's INVITE + BYE = 2. The ACKs of 2xx are
  // no transactions (RFC 3261 17.1.1.3), retransmissions are absorbed by their transaction.
  // Client side: INVITE + BYE towards each callee = 4.
  const server = sample(m, 'b2bua_sip_transactions_total', { kind: 'server' });
  t.equal(server, 9, 'engine server transactions');
  t.equal(sample(m, 'b2bua_sip_transactions_total', { kind: 'client' }), 4, 'engine client transactions');
  t.not(sample(m, 'b2bua_sip_retransmissions_total', { direction: 'sent' }), undefined, 'retransmissions exported');
  t.not(sample(m, 'b2bua_sip_active_transactions'), undefined, 'active transactions exported');
  t.not(sample(m, 'process_cpu_user_seconds_total'), undefined, 'Node default metrics');
  const again = await scrape();
  t.equal(sample(again, 'b2bua_sip_transactions_total', { kind: 'server' }), server, 'a second scrape does not count twice');

  for (const r of [a.rtp, b.rtp, carrierRtp, inRtp]) r.close();
});
