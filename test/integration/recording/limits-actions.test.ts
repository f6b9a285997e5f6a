/**
 * Limits and callflow actions end to end: a recording under record_min_sec is discarded (never
 * uploaded, listed as discarded, counted), time_limit cuts a long call's recording, a
 * record_call action in a callflow records with its label/origin. (record_caller before a
 * routing module answers and records the caller before ringing: record-caller-first.test.ts.)
 */
import t from 'tap';
import type { TestService } from '../../helpers/service';
import { UploadServer } from '../../helpers/upload-server';
import { goertzel } from './media';
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
  await svc.store.create('callflows', w.accountId, {
    name: 'sales line', numbers: ['3000'],
    flow: {
      module: 'record_call', data: { action: 'start', label: 'sales', url: `${upload.url}/cf`, record_on_answer: true, media_name: 'sales-call' },
      children: { _: { module: 'device', data: { id: w.calleeDevice } } },
    },
  });
});
t.teardown(async () => {
  await env?.close();
});

t.test('shorter than record_min_sec: discarded, not uploaded, listed as discarded', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/short`, record_min_sec: 30 } } } });
  t.teardown(() => setRecording(svc, 'accounts', w.accountId, null));
  const before = upload.requests.length;
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  t.equal(run.caller.code, 0);
  const api = await apiClient(svc);
  const deadline = Date.now() + 10_000;
  let mine: Array<Record<string, unknown>> = [];
  while (Date.now() < deadline) {
    await svc.service.recordings?.flush();
    const list = await (await api(`/v2/accounts/${w.accountId}/recordings`)).json() as { data: Array<Record<string, unknown>> };
    mine = list.data.filter((r) => r.call_id === run.call.callId);
    if (mine.length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(mine.length, 1, 'listed');
  t.equal(mine[0]?.status, 'discarded');
  t.equal(upload.requests.length, before, 'nothing uploaded');
  const file = await api(`/v2/accounts/${w.accountId}/recordings/${String(mine[0]?.id)}/file`);
  t.equal(file.status, 404, 'no file kept');
  const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.match(metrics, /b2bua_recordings_finished_total\{outcome="discarded_short"\} 1/);
});

t.test('time_limit cuts the recording of a longer call', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/limit`, record_on_answer: true, time_limit: 2 } } } });
  t.teardown(() => setRecording(svc, 'accounts', w.accountId, null));
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  t.ok(run.tEnded - run.tAnswered > 3500, 'the call lasted longer than the limit');
  const [up] = await uploadsOf(upload, run.call.callId);
  const d = decodeBody(up.body, 'mp3');
  t.ok(Math.abs(d.durationSec - 2) <= 0.1, `recording cut at 2 s (${d.durationSec.toFixed(3)} s)`);
  const api = await apiClient(svc);
  const file = await api(`/v2/accounts/${w.accountId}/recordings`);
  const list = (await file.json() as { data: Array<Record<string, unknown>> }).data.filter((r) => r.call_id === run.call.callId);
  t.equal(list[0]?.status, 'uploaded');
});

t.test('record_call in a callflow: started by the flow, origin "callflow : <label>", on answer', async (t) => {
  const run = await runCall(svc, w, { from: 'phone', number: '3000', to: 'phone' });
  const [up] = await uploadsOf(upload, run.call.callId);
  t.equal(decodeURIComponent(up.path), `/cf/call_recording_${run.call.callId}.mp3`);
  const d = decodeBody(up.body, 'mp3');
  const talk = (run.tEnded - run.tAnswered) / 1000;
  t.ok(Math.abs(d.durationSec - talk) <= 0.1, `${d.durationSec.toFixed(3)} s vs ${talk.toFixed(3)} s`);
  t.ok(goertzel(d.ch[0], 16000, CALLER_TONE) > 20 * goertzel(d.ch[0], 16000, CALLEE_TONE), 'caller left');
  await svc.service.recordings?.flush();
  const api = await apiClient(svc);
  const list = (await (await api(`/v2/accounts/${w.accountId}/recordings`)).json() as { data: Array<Record<string, unknown>> }).data;
  t.match(list.find((r) => r.call_id === run.call.callId), { origin: 'callflow : sales', label: 'sales', status: 'uploaded' });
  // the file is still kept only when delivery keeps uploaded files; the metadata answers either way
  const audio = await api(`/v2/accounts/${w.accountId}/recordings/${String(list.find((r) => r.call_id === run.call.callId)?.id)}`, 'audio/mpeg');
  t.ok(audio.status === 404 || (audio.status === 200 && audio.headers.get('content-type') === 'audio/mpeg'), `file request answered (${audio.status})`);
});

t.test('a refused upload URL: kept, listed as failed, the file served by the API', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: 'http://10.20.30.40/internal', record_on_answer: true } } } });
  t.teardown(() => setRecording(svc, 'accounts', w.accountId, null));
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone', toneFrames: 50 });
  const api = await apiClient(svc);
  let rec: Record<string, unknown> | undefined;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && rec?.status !== 'failed') {
    await svc.service.recordings?.flush();
    const list = (await (await api(`/v2/accounts/${w.accountId}/recordings`)).json() as { data: Array<Record<string, unknown>> }).data;
    rec = list.find((r) => r.call_id === run.call.callId);
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(rec?.status, 'failed', 'listed as failed');
  const meta = await (await api(`/v2/accounts/${w.accountId}/recordings/${String(rec?.id)}`)).json() as { data: Record<string, unknown> };
  t.match(meta.data, { last_error: { code: 'url_refused' }, file_kept: true });
  const audio = await api(`/v2/accounts/${w.accountId}/recordings/${String(rec?.id)}`, 'audio/mpeg');
  t.equal(audio.status, 200);
  t.equal(audio.headers.get('content-type'), 'audio/mpeg');
  const bytes = Buffer.from(await audio.arrayBuffer());
  t.equal(bytes.length, meta.data.size, 'whole file');
  const d = decodeBody(bytes, 'mp3');
  t.equal(d.channels, 2);
  const viaSuffix = await api(`/v2/accounts/${w.accountId}/recordings/${String(rec?.id)}/file`);
  t.equal(viaSuffix.status, 200);
  t.same(Buffer.from(await viaSuffix.arrayBuffer()), bytes, '/file suffix serves the same bytes');
  const other = await api(`/v2/accounts/00000000000000000000000000000000/recordings`);
  t.equal(other.status, 403, 'another account is refused');
});

t.test('a user callee: the answering device\'s own inbound setting records (Device > User)', async (t) => {
  const owner = (await svc.store.create('users', w.accountId, { first_name: 'Bob', last_name: 'Callee', call_recording: { inbound: { onnet: { enabled: false } } } }))._id;
  await svc.store.merge('devices', w.calleeDevice, { owner_id: owner });
  await setRecording(svc, 'devices', w.calleeDevice, { inbound: { onnet: { enabled: true, url: `${upload.url}/userdev`, format: 'wav' } } });
  await svc.store.create('callflows', w.accountId, { numbers: ['2100'], flow: { module: 'user', data: { id: owner } } });
  t.teardown(async () => {
    await setRecording(svc, 'devices', w.calleeDevice, null);
    await svc.store.merge('devices', w.calleeDevice, { owner_id: null });
  });
  const run = await runCall(svc, w, { from: 'phone', number: '2100', to: 'phone' });
  t.equal(run.call.callee?.kind, 'user', 'routed to the user');
  const [up] = await uploadsOf(upload, run.call.callId);
  t.equal(decodeURIComponent(up.path), `/userdev/call_recording_${run.call.callId}.wav`, 'the device\'s URL and format');
  const d = decodeBody(up.body, 'wav');
  const talk = (run.tEnded - run.tAnswered) / 1000;
  t.ok(Math.abs(d.durationSec - talk) <= 0.1, `from the answer: ${d.durationSec.toFixed(3)} s vs ${talk.toFixed(3)} s`);
  t.equal(d.channels, 2);
});

t.test('record_on_bridge: the recording starts when both legs are bridged', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/bridge`, record_on_bridge: true, format: 'wav' } } } });
  t.teardown(() => setRecording(svc, 'accounts', w.accountId, null));
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  t.ok(run.tBridged >= run.tAnswered, 'bridged after answered');
  const [up] = await uploadsOf(upload, run.call.callId);
  const d = decodeBody(up.body, 'wav');
  const fromBridge = (run.tEnded - run.tBridged) / 1000;
  t.ok(Math.abs(d.durationSec - fromBridge) <= 0.1, `${d.durationSec.toFixed(3)} s vs bridge -> hang-up ${fromBridge.toFixed(3)} s`);
  t.ok(d.durationSec < (run.tEnded - run.tRouted) / 1000 - 0.9, 'no ringing in it');
});
