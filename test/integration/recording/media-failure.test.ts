/**
 * rtpengine dies in the middle of a recorded call: the call is torn down (media failure) and
 * the recording ends in the same finalize step as a hang-up: the audio up to the failure is
 * kept, uploaded and listed, not lost.
 */
import t from 'tap';
import type { TestService } from '../../helpers/service';
import { UploadServer } from '../../helpers/upload-server';
import {
  decodeBody, recordingDocOf, runCall, setRecording, uploadsOf, type World, startRecordingEnv, type RecordingEnv,
} from './setup';

let svc: TestService;
let upload: UploadServer;
let w: World;
let env: RecordingEnv | undefined;

t.before(async () => {
  env = await startRecordingEnv();
  ({ svc, upload, w } = env);
});
t.teardown(async () => {
  await env?.close();
});

t.test('rtpengine killed mid-call: recording finalized and delivered', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/mf`, record_on_answer: true } } } });
  const pid = svc.service.media?.process?.pid;
  if (!pid) throw new Error('no local rtpengine');
  svc.service.b2bua?.once('call', (c) => c.once('bridged', () => setTimeout(() => process.kill(pid, 'SIGKILL'), 1000)));
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  t.equal(run.call.end?.cause, 'MEDIA_TIMEOUT', 'the call ended on the media failure');
  t.ok(run.tEnded - run.tAnswered < 3000, 'before the caller would have hung up');
  const [up] = await uploadsOf(upload, run.call.callId);
  const d = decodeBody(up.body, 'mp3');
  const until = (run.tEnded - run.tAnswered) / 1000;
  t.ok(Math.abs(d.durationSec - until) <= 0.1, `recorded up to the failure: ${d.durationSec.toFixed(3)} s vs ${until.toFixed(3)} s`);
  // The audio up to the failure is kept and sent, but it is not the whole call: partial, never completed.
  const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.match(metrics, /b2bua_recordings_finished_total\{outcome="partial"\} 1/);
  t.notMatch(metrics, /b2bua_recordings_finished_total\{outcome="completed"\}/);
  t.match(metrics, /b2bua_recordings_media_missing_total\{status="partial"\} 1/);
  t.equal(up.query.call_id, run.call.callId);
  const doc = await recordingDocOf(svc, w.accountId, run.call.callId, 'uploaded');
  t.equal(doc.media_status, 'partial', 'listed as partial (and uploaded)');
  t.match(String(doc.media_error), /media anchor failed/);
});
