/**
 * Calls the service ends itself: nobody answers within calls.noAnswerTimeoutSec (480 to the
 * caller, CANCEL to the callee), and rtpengine dying under an answered call (both legs get BYE,
 * the supervisor restarts rtpengine, the next call works again).
 */
import t from 'tap';
import { startTestService, type TestService } from '../../helpers/service';
import {
  addCallflow, addDevice, answerOn, bridged, callFrom, ended, nextCall, registerPhone, seedAccount,
} from './setup';

let svc: TestService;
let accountId: string;

t.before(async () => {
  svc = await startTestService({ config: { calls: { noAnswerTimeoutSec: 2 } } });
  accountId = await seedAccount(svc);
  await addDevice(svc, accountId, '1001');
  const callee = await addDevice(svc, accountId, '2001');
  await addCallflow(svc, accountId, ['2000'], { module: 'device', data: { id: callee } });
});
t.teardown(async () => {
  await svc?.close();
});

t.test('no answer: 480 to the caller, CANCEL to the callee', async (t) => {
  const b = await registerPhone(svc, '2001');
  const a = await registerPhone(svc, '1001');
  const uas = answerOn(b.port, 'phone-ring.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call-unanswered.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `caller got 480 ${ra.errors}`);
  t.equal(rb.code, 0, `callee got CANCEL ${rb.errors}`);
  await ended(call);
  t.equal(call.end?.cause, 'NO_ANSWER');
  t.equal(call.end?.status, 480);
  const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.match(metrics, /b2bua_calls_total\{caller="onnet",callee="onnet",outcome="no_answer"\} 1/);
  a.rtp.close();
  b.rtp.close();
});

t.test('rtpengine dies under an answered call: both legs get BYE, calls work again after the restart', async (t) => {
  const proc = svc.service.media?.process;
  if (!proc) throw new Error('no supervised rtpengine');
  const b = await registerPhone(svc, '2001');
  const a = await registerPhone(svc, '1001');
  const uas = answerOn(b.port, 'phone-answer.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call-wait-bye.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  await bridged(call);
  const restarted = new Promise<void>((resolve) => proc.once('ready', () => resolve()));
  const pid = proc.pid;
  if (pid === undefined) throw new Error('rtpengine has no pid');
  process.kill(pid, 'SIGKILL');
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `caller got BYE ${ra.errors}`);
  t.equal(rb.code, 0, `callee got BYE ${rb.errors}`);
  await ended(call);
  t.equal(call.end?.cause, 'MEDIA_TIMEOUT');
  t.equal(call.end?.by, 'system');
  await restarted;

  const uas2 = answerOn(b.port, 'phone-answer.xml', b.rtp.port);
  const next = nextCall(svc);
  const uac2 = callFrom(svc, 'phone-call.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call2 = await next;
  await bridged(call2);
  const [r2a, r2b] = await Promise.all([uac2, uas2.done]);
  t.equal(r2a.code, 0, `call after the restart ${r2a.errors}`);
  t.equal(r2b.code, 0);
  await ended(call2);
  a.rtp.close();
  b.rtp.close();
});
