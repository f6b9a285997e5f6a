/**
 * The recorder thread hosting a call's session dies mid-call (recorder.threads, the default):
 * the call goes on, its recording is reported failed (metric, log), never completed, nothing is
 * uploaded; the thread is replaced and the next call is recorded whole.
 */
import t from 'tap';
import type { TestService } from '../../helpers/service';
import { UploadServer } from '../../helpers/upload-server';
import { RecorderThreads } from '../../../src/recorder';
import { decodeBody, runCall, setRecording, uploadsOf, type World, recordingSuite } from './setup';

let svc: TestService;
let upload: UploadServer;
let w: World;

recordingSuite(t, 'thread-death-', (s) => {
  ({ svc, upload, w } = s);
});

const metrics = async (): Promise<string> => (await fetch(`${svc.apiUrl}/metrics`)).text();

t.test('a recorder thread killed mid-call: the recording fails visibly, the next call records', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/td`, record_on_answer: true } } } });
  const host = svc.service.recordings?.host;
  if (!(host instanceof RecorderThreads)) throw new Error('recorder threads are not the default');
  svc.service.b2bua?.once('call', (c) => c.once('bridged', () => setTimeout(() => void Promise.all(host.workers.map((x) => x.terminate())), 1000)));
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  t.same([run.caller.code, run.callee.code], [0, 0], 'the call itself went on to its normal end');
  await new Promise((r) => setTimeout(r, 1000));
  const m = await metrics();
  t.match(m, /b2bua_recordings_finished_total\{outcome="failed"\} 1/, 'counted failed');
  t.notMatch(m, /b2bua_recordings_finished_total\{outcome="completed"\}/, 'never completed');
  t.equal(upload.requests.filter((u) => u.query.call_id === run.call.callId).length, 0, 'nothing uploaded');
  t.ok(host.restarts >= 1, 'the thread was replaced');

  const next = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  const [up] = await uploadsOf(upload, next.call.callId);
  const d = decodeBody(up.body, 'mp3');
  const talk = (next.tEnded - next.tAnswered) / 1000;
  t.ok(Math.abs(d.durationSec - talk) <= 0.1, `the next call is recorded whole: ${d.durationSec.toFixed(3)} s vs ${talk.toFixed(3)} s`);
  t.match(await metrics(), /b2bua_recordings_finished_total\{outcome="completed"\} 1/);
});
