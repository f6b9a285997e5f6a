/**
 * A recording whose settings carry no URL (and the system has no default delivery URL) is
 * refused when the call is planned: the call goes on normally, no recording session is opened,
 * no file is written or queued, nothing is uploaded or listed, and the refusal is counted in
 * b2bua_recordings_refused_total{reason="no_url"} (one per refused recording).
 */
import { existsSync, readdirSync } from 'node:fs';
import pino from 'pino';
import t from 'tap';
import type { TestService } from '../../helpers/service';
import { UploadServer } from '../../helpers/upload-server';
import {
  apiClient, metricOf, runCall, setRecording, type World, startRecordingEnv, type RecordingEnv,
} from './setup';

let svc: TestService;
let upload: UploadServer;
let w: World;
let env: RecordingEnv | undefined;
/** The service's warn-and-above log lines (JSON), to check the refusal's one line per call. */
const warnings: Array<Record<string, unknown>> = [];

t.before(async () => {
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line) as Record<string, unknown>); } });
  env = await startRecordingEnv({ logger });
  ({ svc, upload, w } = env);
  await svc.store.create('callflows', w.accountId, {
    numbers: ['3020'],
    flow: { module: 'record_call', data: { action: 'start', label: 'nourl' }, children: { _: { module: 'device', data: { id: w.calleeDevice } } } },
  });
});
t.teardown(async () => {
  await env?.close();
});

const metric = (name: string, labels: string): Promise<number> => metricOf(svc, name, labels);

/** Files under a directory tree whose name holds the call-id. */
function filesOf(root: string, callId: string): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.includes(callId));
}

t.test('account recording and record_call without URL: refused, call unaffected, counted', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, format: 'wav' } } } });
  const refusedBefore = await metric('b2bua_recordings_refused_total', 'reason="no_url"');
  const startedBefore = await metric('b2bua_recordings_started_total', 'source="account"')
    + await metric('b2bua_recordings_started_total', 'source="callflow"');

  const run = await runCall(svc, w, { from: 'phone', number: '3020', to: 'phone', toneFrames: 50 });
  t.equal(run.caller.code, 0, `caller ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee ${run.callee.errors}`);
  t.ok(run.tBridged > 0, 'the call was bridged as usual');

  t.equal(await metric('b2bua_recordings_refused_total', 'reason="no_url"') - refusedBefore, 2, 'both refusals counted (account, record_call)');
  const startedAfter = await metric('b2bua_recordings_started_total', 'source="account"')
    + await metric('b2bua_recordings_started_total', 'source="callflow"');
  t.equal(startedAfter, startedBefore, 'nothing started');
  t.same(filesOf(svc.config.recorder.spoolDir, run.call.callId), [], 'no recording file written');
  t.same(filesOf(svc.config.delivery.spoolDir, run.call.callId), [], 'nothing queued for delivery');
  t.same(upload.delivered().filter((u) => u.query.call_id === run.call.callId), [], 'nothing uploaded');
  await svc.service.recordings?.flush();
  const api = await apiClient(svc);
  const list = (await (await api(`/v2/accounts/${w.accountId}/recordings`)).json() as { data: Array<Record<string, unknown>> }).data;
  t.same(list.filter((r) => r.call_id === run.call.callId), [], 'no recording listed');
  const lines = warnings.filter((l) => l.callId === run.call.callId && String(l.msg).startsWith('recording refused'));
  t.equal(lines.length, 1, 'one warn line for the call');
  t.match(lines[0], {
    level: 40, accountId: w.accountId,
    refused: [{ origin: 'inbound from onnet to account', source: 'account', reason: 'no_url' }, { origin: 'callflow : nourl', source: 'callflow', reason: 'no_url' }],
  });
});

t.test('the same account recording with a URL is made (the refusal is about the URL only)', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, format: 'wav', url: `${upload.url}/acct` } } } });
  t.teardown(() => setRecording(svc, 'accounts', w.accountId, null));
  const refusedBefore = await metric('b2bua_recordings_refused_total', 'reason="no_url"');
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone', toneFrames: 50 });
  t.equal(run.caller.code, 0, `caller ${run.caller.errors}`);
  await upload.waitFor(() => upload.delivered().some((u) => u.query.call_id === run.call.callId), 20_000, 'account upload');
  t.equal(await metric('b2bua_recordings_refused_total', 'reason="no_url"'), refusedBefore, 'nothing refused');
});
