/**
 * Recorded calls between real softphones (Debian's baresip, not written here) registering
 * through the product with their default codec list (PCMU and PCMA, as desk phones offer),
 * sending their own sine tones (caller 1 kHz, callee 400 Hz). Issue 11: such a call used to
 * give a 0.1 s recording reported as uploaded and completed, because rtpengine refused the
 * fork's answer; every suite phone offered PCMU alone and never saw it.
 * Also: hold and resume, feature codes pressed on baresip (sndcode), and a fork that delivers nothing (unsubscribed in rtpengine) ending
 * as failed in the API, the metrics and the webhook, never as completed.
 */
import t from 'tap';
import type { Call } from '../../../src/calls';
import { Baresip } from '../../helpers/baresip';
import type { TestService } from '../../helpers/service';
import type { UploadServer } from '../../helpers/upload-server';
import { bothTones, coverage, phoneCall, type RealCall } from './phone-call';
import { CALLEE_TONE, CALLER_TONE, REALM, decodeBody, recordingDocOf, setRecording, startRecordingEnv, uploadsOf, type RecordingEnv, type World } from './setup';

let env: RecordingEnv | undefined;
let svc: TestService;
let upload: UploadServer;
let w: World;
const phones: Baresip[] = [];
let caller: Baresip;
let callee: Baresip;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.before(async () => {
  env = await startRecordingEnv({ webhookPath: '/hook' });
  ({ svc, upload, w } = env);
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/real`, record_on_answer: true } } } });
  // Both phones register through the product (digest auth) before any call.
  callee = await phone('2001', CALLEE_TONE);
  caller = await phone('1001', CALLER_TONE);
});
t.teardown(async () => {
  await Promise.allSettled(phones.map((p) => p.close()));
  await env?.close();
});

async function phone(user: string, toneHz: number, extra: Partial<Parameters<typeof Baresip.start>[0]> = {}): Promise<Baresip> {
  const p = await Baresip.start({ user, realm: REALM, password: `pw-${user}`, proxy: svc.sipTarget, toneHz, ...extra });
  phones.push(p);
  return p;
}

/** 1001 dials 2000 (device 2001, auto-answer); `during` runs once bridged; then the caller hangs up. */
function realCall(during: (call: Call) => Promise<void>, from: Baresip = caller): Promise<RealCall> {
  return phoneCall(svc, from, callee, during);
}

async function recordingDoc(callId: string, status: string): Promise<Record<string, unknown>> {
  return recordingDocOf(svc, w.accountId, callId, status);
}

t.test('baresip calls baresip, default codecs (PCMU+PCMA): both tones recorded whole, listed complete', async (t) => {
  const run = await realCall(() => sleep(4000));
  const [up] = await uploadsOf(upload, run.call.callId);
  const d = decodeBody(up.body, 'mp3');
  const talk = (run.tEnded - run.tAnswered) / 1000;
  t.same([d.sampleRate, d.channels], [16000, 2], 'stereo 16 kHz');
  t.ok(Math.abs(d.durationSec - talk) < 0.5, `file ${d.durationSec.toFixed(2)} s for ${talk.toFixed(2)} s of call (the old defect gave ~0.1 s)`);
  bothTones(t, d);
  const doc = await recordingDoc(run.call.callId, 'uploaded');
  t.equal(doc.media_status, 'complete', `media check: ${String(doc.media_error)}`);
  const legs = doc.media_legs as Record<string, { forwarded: number; received: number }>;
  t.ok(legs.caller.forwarded > 150 && legs.callee.forwarded > 150, `rtpengine saw both phones' RTP (${JSON.stringify(legs)})`);
});

t.test('hold and resume (baresip re-INVITEs): the recording goes on, the tone returns after resume', async (t) => {
  const holdAt = 1.5;
  const resumeAt = 3.0;
  const run = await realCall(async () => {
    await sleep(holdAt * 1000);
    caller.hold();
    await sleep((resumeAt - holdAt) * 1000);
    caller.resume();
    await sleep(2000);
  });
  const [up] = await uploadsOf(upload, run.call.callId);
  const d = decodeBody(up.body, 'mp3');
  const before = coverage(d.ch[0], d.sampleRate, CALLER_TONE, CALLEE_TONE, 0.3, holdAt - 0.2);
  const after = coverage(d.ch[0], d.sampleRate, CALLER_TONE, CALLEE_TONE, resumeAt + 0.6, d.durationSec - 0.3);
  t.ok(before >= 0.8, `caller's tone before hold: ${(before * 100).toFixed(0)}%`);
  t.ok(after >= 0.8, `caller's tone after resume: ${(after * 100).toFixed(0)}%`);
  const doc = await recordingDoc(run.call.callId, 'uploaded');
  t.not(doc.media_status, 'failed', `media check after hold: ${String(doc.media_status)} ${String(doc.media_error)}`);
});

t.test('feature codes from baresip (sndcode, RFC 4733): *2 pauses; during hold no key is heard and the pause holds; *2 after resume resumes', async (t) => {
  await svc.store.merge('accounts', w.accountId, { metaflows: { numbers: { 2: { module: 'record_call', data: { action: 'pause_toggle' } } } } });
  t.teardown(() => svc.store.merge('accounts', w.accountId, { metaflows: null }).then(() => undefined));
  const pausedNow = (call: Call): boolean | undefined => svc.service.recordings?.recorderOf(call.callId)?.views()[0]?.paused;
  const until = async (call: Call, want: boolean, what: string, ms = 3000): Promise<void> => {
    const end = performance.now() + ms;
    while (pausedNow(call) !== want && performance.now() < end) await sleep(20);
    t.equal(pausedNow(call), want, what);
  };
  const run = await realCall(async (call) => {
    await sleep(1000);
    caller.command('sndcode', '*2');
    await until(call, true, 'the caller\'s *2 paused the recording');
    caller.hold();
    await sleep(500);
    // baresip on hold sends no RTP at all (telephone-events included): nothing reaches the fork.
    caller.command('sndcode', '*2');
    await sleep(1000);
    t.equal(pausedNow(call), true, '*2 during hold is not heard: still paused');
    caller.resume();
    await sleep(500);
    caller.command('sndcode', '*2');
    await until(call, false, '*2 after resume resumed it');
    await sleep(1000);
  });
  const doc = await recordingDoc(run.call.callId, 'uploaded');
  const ivs = doc.paused_intervals as { duration_ms: number }[];
  t.equal(ivs.length, 1, 'one paused interval');
  t.ok(ivs[0].duration_ms > 2000 && ivs[0].duration_ms < 4000, `paused ${ivs[0].duration_ms} ms, through the hold`);
});

t.test('the fork delivers nothing (its subscription removed in rtpengine): failed, kept, not sent, counted, webhook says failed', async (t) => {
  const server = svc.service.media?.server;
  if (!server) throw new Error('no media server');
  const before = upload.requests.length;
  const run = await realCall(async (call) => {
    // The recorder's subscription is the tag that is neither the caller's nor the callee's.
    let sub: string | undefined;
    for (let i = 0; i < 50 && !sub; i++) {
      const q = await server.query(call.callId);
      sub = Object.keys(q.tags ?? {}).find((tag) => tag !== call.media?.callerTag && tag !== call.media?.calleeTag);
      if (!sub) await sleep(20);
    }
    if (!sub) throw new Error('no subscription in rtpengine');
    await server.unsubscribe({ callId: call.callId, toTag: sub });
    await sleep(3000);
  });
  const doc = await recordingDoc(run.call.callId, 'failed');
  t.equal(doc.media_status, 'failed');
  t.match(String(doc.media_error), /no media reached the recorder/);
  t.match(doc.last_error, { code: 'no_media' });
  t.equal(doc.file_kept, true, 'the file is kept for an operator');
  await upload.waitFor(() => upload.requests.some((r) => r.path === '/hook' && r.body.toString().includes(run.call.callId)), 10_000, 'webhook');
  const sent = upload.requests.slice(before).filter((r) => r.path.startsWith('/real'));
  t.same(sent.map((r) => r.query.call_id), [], 'nothing uploaded for it');
  const hook = upload.requests.find((r) => r.path === '/hook' && r.body.toString().includes(run.call.callId));
  const body = JSON.parse(hook?.body.toString() ?? '{}') as { event?: string; recording?: { meta?: { media?: { status?: string } } } };
  t.equal(body.event, 'recording.failed');
  t.equal(body.recording?.meta?.media?.status, 'failed');
  const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  const lines = metrics.split('\n').filter((l) => l.startsWith('b2bua_recordings_')).join('; ');
  t.match(metrics, /b2bua_recordings_media_missing_total\{status="failed"\} 1/, lines);
  t.match(metrics, /b2bua_recordings_finished_total\{outcome="failed"\} 1/, lines);
});

t.test('a phone on TCP offering PCMA first at ptime 30 calls a UDP phone: recorded whole, complete', async (t) => {
  const tcpPhone = await phone('1001', CALLER_TONE, { transport: 'tcp', audioCodecs: ['PCMA', 'PCMU'], ptime: 30 });
  const run = await realCall(() => sleep(3000), tcpPhone);
  const [up] = await uploadsOf(upload, run.call.callId);
  const d = decodeBody(up.body, 'mp3');
  bothTones(t, d);
  const doc = await recordingDoc(run.call.callId, 'uploaded');
  t.equal(doc.media_status, 'complete', `media check: ${String(doc.media_error)}`);
});
