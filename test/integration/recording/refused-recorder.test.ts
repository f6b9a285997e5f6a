/**
 * A call the policy records while the recorder cannot open a session for it (here: the only
 * port of `recorder.portMin..portMax` is taken): the call goes on unrecorded, and that is said,
 * not only logged as a set-up error: b2bua_recordings_refused_total{reason="recorder_unavailable"}
 * counts the recording and one warn line names it.
 */
import pino from 'pino';
import t from 'tap';
import { freePort } from '../../helpers/ports';
import type { TestService } from '../../helpers/service';
import type { UploadServer } from '../../helpers/upload-server';
import { metricOf, runCall, setRecording, startRecordingEnv, type RecordingEnv, type World } from './setup';

let svc: TestService;
let upload: UploadServer;
let w: World;
let env: RecordingEnv | undefined;
let port = 0;
const warnings: Array<Record<string, unknown>> = [];

t.before(async () => {
  port = await freePort('127.0.0.1');
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line) as Record<string, unknown>); } });
  // One port for the recorder: a session needs two (caller and callee legs), so none opens.
  env = await startRecordingEnv({ logger, config: { recorder: { portMin: port, portMax: port } } });
  ({ svc, upload, w } = env);
});
t.teardown(async () => {
  await env?.close();
});

const metric = (name: string, labels: string): Promise<number> => metricOf(svc, name, labels);

t.test('no recorder session for the call: the call is bridged, the recording counted refused', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, format: 'wav', url: `${upload.url}/acct` } } } });
  const before = await metric('b2bua_recordings_refused_total', 'reason="recorder_unavailable"');
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone', toneFrames: 50 });
  t.equal(run.caller.code, 0, `caller ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee ${run.callee.errors}`);
  t.ok(run.tBridged > 0, 'the call was bridged as usual');
  t.equal(await metric('b2bua_recordings_refused_total', 'reason="recorder_unavailable"') - before, 1, 'the account recording counted as refused');
  const lines = warnings.filter((l) => l.callId === run.call.callId && String(l.msg).startsWith('recording refused'));
  t.equal(lines.length, 1, 'one warn line for the call');
  t.match(lines[0], { level: 40, accountId: w.accountId, refused: [{ source: 'account', reason: 'recorder_unavailable' }] });
  t.match(String(lines[0]?.msg), /recorder could not open a session/);
  t.same(upload.delivered().filter((u) => u.query.call_id === run.call.callId), [], 'nothing uploaded');
});

