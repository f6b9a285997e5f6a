/**
 * Call features end to end with SIPp phones: a user's two devices rung in parallel (first
 * answer wins, the other is CANCELled), hold and resume (re-INVITE) and an UPDATE relayed
 * through rtpengine, the caller
 * cancelling while the callee rings, a busy callee's 486 relayed.
 */
import t from 'tap';
import { CallState } from '../../../src/calls';
import { startTestService, type TestService } from '../../helpers/service';
import {
  addCallflow, addDevice, addUser, answerOn, bridged, callFrom, ended, nextCall, registerPhone, seedAccount,
} from './setup';

let svc: TestService;
let accountId: string;

t.before(async () => {
  svc = await startTestService();
  accountId = await seedAccount(svc);
  await addDevice(svc, accountId, '1001');
  const single = await addDevice(svc, accountId, '2001');
  await addCallflow(svc, accountId, ['2000'], { module: 'device', data: { id: single } });
  const user = await addUser(svc, accountId, 'Ann');
  const desk = await addDevice(svc, accountId, '3001', user);
  await addDevice(svc, accountId, '3002', user);
  // Kazoo's child `_`: when the first device fails (busy), the flow goes on to the next.
  await addCallflow(svc, accountId, ['6000'], { module: 'device', data: { id: single }, children: { _: { module: 'device', data: { id: desk } } } });
  await addCallflow(svc, accountId, ['3000'], { module: 'user', data: { id: user } });
});
t.teardown(async () => {
  await svc?.close();
});

async function metricsText(): Promise<string> {
  return (await fetch(`${svc.apiUrl}/metrics`)).text();
}

t.test('user with two registered devices: first answer wins, the other is cancelled', async (t) => {
  const d1 = await registerPhone(svc, '3001');
  const d2 = await registerPhone(svc, '3002');
  const a = await registerPhone(svc, '1001');
  const answering = answerOn(d1.port, 'phone-answer.xml', d1.rtp.port);
  const ringing = answerOn(d2.port, 'phone-ring.xml', d2.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '3000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  await bridged(call);
  t.equal(call.callee?.kind, 'user');
  t.equal(call.answeredTarget?.uri, `sip:3001@127.0.0.1:${d1.port}`, 'the answering device won');
  const [ra, r1, r2] = await Promise.all([uac, answering.done, ringing.done]);
  t.equal(ra.code, 0, `caller ${ra.errors}`);
  t.equal(r1.code, 0, `answering device ${r1.errors}`);
  t.equal(r2.code, 0, `ringing device got CANCEL, 200 and 487, ACKed ${r2.errors}`);
  await ended(call);
  for (const p of [d1, d2, a]) p.rtp.close();
});

t.test('hold and resume: re-INVITEs relayed through rtpengine both ways', async (t) => {
  const b = await registerPhone(svc, '2001');
  const a = await registerPhone(svc, '1001');
  const uas = answerOn(b.port, 'phone-answer-hold.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call-hold.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  const renegotiations: string[] = [];
  call.on('renegotiated', (_c, side) => renegotiations.push(side));
  await bridged(call);
  const [ra, rb] = await Promise.all([uac, uas.done]);
  // phone-answer-hold.xml checks that its first re-INVITE carries a=sendonly and the second a=sendrecv.
  t.equal(ra.code, 0, `holding phone ${ra.errors}`);
  t.equal(rb.code, 0, `held phone saw sendonly then sendrecv ${rb.errors}`);
  await ended(call);
  t.same(renegotiations, ['caller', 'caller'], 'two offers from the caller relayed');
  a.rtp.close();
  b.rtp.close();
});

t.test('UPDATE with a new offer relayed through rtpengine', async (t) => {
  const b = await registerPhone(svc, '2001');
  const a = await registerPhone(svc, '1001');
  const uas = answerOn(b.port, 'phone-answer-update.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call-update.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  const renegotiations: string[] = [];
  call.on('renegotiated', (_c, side) => renegotiations.push(side));
  const [ra, rb] = await Promise.all([uac, uas.done]);
  // The callee's scenario checks the UPDATE carried a=sendonly; the caller's that the answer is a=recvonly.
  t.equal(ra.code, 0, `caller got the relayed answer ${ra.errors}`);
  t.equal(rb.code, 0, `callee got the relayed offer ${rb.errors}`);
  await ended(call);
  t.same(renegotiations, ['caller']);
  a.rtp.close();
  b.rtp.close();
});

t.test('callflow continues with child _ when the first device is busy', async (t) => {
  const busy = await registerPhone(svc, '2001');
  const desk = await registerPhone(svc, '3001');
  const a = await registerPhone(svc, '1001');
  const refusing = answerOn(busy.port, 'phone-busy.xml', busy.rtp.port);
  const answering = answerOn(desk.port, 'phone-answer.xml', desk.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '6000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  await bridged(call);
  t.equal(call.answeredTarget?.uri, `sip:3001@127.0.0.1:${desk.port}`, 'the second device took the call');
  const [ra, rb, rd] = await Promise.all([uac, refusing.done, answering.done]);
  t.equal(ra.code, 0, `caller ${ra.errors}`);
  t.equal(rb.code, 0, `first device answered 486 ${rb.errors}`);
  t.equal(rd.code, 0, `second device answered ${rd.errors}`);
  await ended(call);
  for (const p of [busy, desk, a]) p.rtp.close();
});

t.test('caller cancels while the callee rings: CANCEL propagated', async (t) => {
  const b = await registerPhone(svc, '2001');
  const a = await registerPhone(svc, '1001');
  const uas = answerOn(b.port, 'phone-ring.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call-cancel.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `caller got 200 for CANCEL and 487 ${ra.errors}`);
  t.equal(rb.code, 0, `callee got CANCEL ${rb.errors}`);
  await ended(call);
  t.equal(call.state, CallState.Ended);
  t.equal(call.end?.cause, 'ORIGINATOR_CANCEL');
  t.match(await metricsText(), /b2bua_calls_total\{caller="onnet",callee="onnet",outcome="cancelled"\} 1/);
  a.rtp.close();
  b.rtp.close();
});

t.test('busy callee: 486 relayed to the caller', async (t) => {
  const b = await registerPhone(svc, '2001');
  const a = await registerPhone(svc, '1001');
  const uas = answerOn(b.port, 'phone-busy.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call-busy.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `caller got 486 ${ra.errors}`);
  t.equal(rb.code, 0, `callee answered 486 ${rb.errors}`);
  await ended(call);
  t.equal(call.end?.status, 486);
  t.equal(call.end?.cause, 'USER_BUSY');
  const rec = (await svc.store.list('calls', accountId)).find((r) => r.call_id === call.callId);
  t.match(rec, { hangup_cause: 'USER_BUSY', sip_status: 486, timestamp_answer: null, billing_seconds: 0 });
  t.match(await metricsText(), /b2bua_calls_total\{caller="onnet",callee="onnet",outcome="rejected"\} 1/);
  a.rtp.close();
  b.rtp.close();
});
