/**
 * Recorded calls end to end in each direction: SIPp phones and a SIPp carrier, the service's
 * own rtpengine and recorder, uploads received by a real HTTP server. Each uploaded file is
 * decoded with ffmpeg and checked: duration against the observed answer/hang-up times, sample
 * rate, channels, the caller's tone on the left and the callee's on the right (Goertzel), and
 * no gap in the 2 s where both parties sent packets.
 */
import t, { type Test } from 'tap';
import type { TestService } from '../../helpers/service';
import { UploadServer } from '../../helpers/upload-server';
import { goertzel, toneSpan } from './media';
import {
  CALLEE_TONE, CALLER_TONE, apiClient, decodeBody, runCall, setRecording, uploadsOf, type World, startRecordingEnv, type RecordingEnv,
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

const TONE_SEC = 2;

/** Common checks of a stereo recording of a call whose parties both sent TONE_SEC of tone. */
function checkStereo(t: Test, d: ReturnType<typeof decodeBody>, rate: number): void {
  t.equal(d.sampleRate, rate, 'sample rate');
  t.equal(d.channels, 2, 'stereo');
  const [left, right] = d.ch;
  t.ok(goertzel(left, rate, CALLER_TONE) > 20 * goertzel(left, rate, CALLEE_TONE), 'left channel carries the caller (1 kHz)');
  t.ok(goertzel(right, rate, CALLEE_TONE) > 20 * goertzel(right, rate, CALLER_TONE), 'right channel carries the callee (400 Hz)');
  for (const [name, ch, f] of [['caller', left, CALLER_TONE], ['callee', right, CALLEE_TONE]] as const) {
    const span = toneSpan(ch, rate, f);
    t.equal(span.gaps, 0, `${name}: no gap while packets were sent`);
    t.ok(Math.abs(span.lastSec - span.firstSec - TONE_SEC) <= 0.06, `${name}: ${TONE_SEC} s of tone in the file (${(span.lastSec - span.firstSec).toFixed(3)} s)`);
  }
}

t.test('onnet to onnet: account rule (on answer, mp3) and the caller device rule (from the start, wav) share one fork', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/acct`, record_on_answer: true } } } });
  await setRecording(svc, 'devices', w.callerDevice, { outbound: { onnet: { enabled: true, url: `${upload.url}/dev`, format: 'wav' } } });
  t.teardown(async () => {
    await setRecording(svc, 'accounts', w.accountId, null);
    await setRecording(svc, 'devices', w.callerDevice, null);
  });
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  t.equal(run.caller.code, 0, `caller scenario ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee scenario ${run.callee.errors}`);
  const ups = await uploadsOf(upload, run.call.callId, 2);
  const mp3 = ups.find((u) => u.path.startsWith('/acct/'));
  const wav = ups.find((u) => u.path.startsWith('/dev/'));
  if (!mp3 || !wav) throw new Error(`uploads: ${ups.map((u) => u.path).join(', ')}`);
  t.equal(mp3.method, 'PUT');
  t.equal(decodeURIComponent(mp3.path), `/acct/call_recording_${run.call.callId}.mp3`, 'Kazoo file name');
  t.equal(mp3.headers['content-type'], 'audio/mpeg');
  t.equal(decodeURIComponent(wav.path), `/dev/call_recording_${run.call.callId}.wav`);
  t.equal(mp3.query.account_id, w.accountId);

  const talk = (run.tEnded - run.tAnswered) / 1000;
  const whole = (run.tEnded - run.tRouted) / 1000;
  const a = decodeBody(mp3.body, 'mp3');
  t.ok(Math.abs(a.durationSec - talk) <= 0.1, `on-answer recording lasts answer -> hang-up: ${a.durationSec.toFixed(3)} s vs ${talk.toFixed(3)} s`);
  checkStereo(t, a, 16000);
  const b = decodeBody(wav.body, 'wav');
  t.ok(Math.abs(b.durationSec - whole) <= 0.1, `from-the-start recording includes ringing: ${b.durationSec.toFixed(3)} s vs ${whole.toFixed(3)} s`);
  t.ok(b.durationSec - a.durationSec >= 0.9, `ringing (1 s) only in the second (${(b.durationSec - a.durationSec).toFixed(3)} s)`);
  checkStereo(t, b, 16000);

  // metadata through the API
  const api = await apiClient(svc);
  await svc.service.recordings?.flush();
  const list = await (await api(`/v2/accounts/${w.accountId}/recordings`)).json() as { data: Array<Record<string, unknown>> };
  const mine = list.data.filter((r) => r.call_id === run.call.callId);
  t.equal(mine.length, 2, 'both listed');
  t.same(mine.map((r) => r.origin).sort(), ['inbound from onnet to account', 'outbound to onnet from endpoint']);
  t.ok(mine.every((r) => r.status === 'uploaded'), 'listed as uploaded');
  const acct = mine.find((r) => r.origin === 'inbound from onnet to account');
  const one = await (await api(`/v2/accounts/${w.accountId}/recordings/${String(acct?.id)}`)).json() as { data: Record<string, unknown> };
  t.match(one.data, { call_id: run.call.callId, direction: 'inbound', media_type: 'mp3', status: 'uploaded', attempts: 1, from: `1001@${'calls.test'}`, size: mp3.body.length });
  const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.match(metrics, /b2bua_recordings_finished_total\{outcome="completed"\} 2/);
  t.match(metrics, /b2bua_upload_attempts_total\{result="success"\} 2/);
});

t.test('offnet to onnet: the callee device records calls from offnet (wav, stereo)', async (t) => {
  await setRecording(svc, 'devices', w.calleeDevice, { inbound: { offnet: { enabled: true, url: `${upload.url}/in`, format: 'wav' } } });
  t.teardown(() => setRecording(svc, 'devices', w.calleeDevice, null));
  const run = await runCall(svc, w, { from: 'carrier', number: '4420000', to: 'phone' });
  t.equal(run.call.direction?.label, 'offnet_to_onnet');
  t.equal(run.caller.code, 0, `carrier scenario ${run.caller.errors}`);
  const [up] = await uploadsOf(upload, run.call.callId);
  t.equal(decodeURIComponent(up.path), `/in/call_recording_${run.call.callId}.wav`);
  const d = decodeBody(up.body, 'wav');
  const talk = (run.tEnded - run.tAnswered) / 1000;
  t.ok(Math.abs(d.durationSec - talk) <= 0.1, `endpoint inbound recording starts on answer: ${d.durationSec.toFixed(3)} s vs ${talk.toFixed(3)} s`);
  checkStereo(t, d, 16000);
});

t.test('onnet to offnet: the caller\'s user records outbound calls to offnet (mp3)', async (t) => {
  await setRecording(svc, 'users', w.callerOwner, { outbound: { offnet: { enabled: true, url: `${upload.url}/out`, record_on_answer: true } } });
  t.teardown(() => setRecording(svc, 'users', w.callerOwner, null));
  const run = await runCall(svc, w, { from: 'phone', number: '15551234567', to: 'carrier' });
  t.equal(run.call.direction?.label, 'onnet_to_offnet');
  const [up] = await uploadsOf(upload, run.call.callId);
  t.equal(decodeURIComponent(up.path), `/out/call_recording_${run.call.callId}.mp3`);
  t.equal(up.query.owner_id, w.callerOwner, 'owner_id of the user whose setting recorded it');
  const d = decodeBody(up.body, 'mp3');
  const talk = (run.tEnded - run.tAnswered) / 1000;
  t.ok(Math.abs(d.durationSec - talk) <= 0.1, `${d.durationSec.toFixed(3)} s vs ${talk.toFixed(3)} s`);
  checkStereo(t, d, 16000);
});
