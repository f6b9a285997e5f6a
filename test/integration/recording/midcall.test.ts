/**
 * record_call start / stop after routing has begun, through the real service (SIPp phones,
 * rtpengine, the built-in recorder, a real upload server):
 *  - in the callflow's continuation after a failed routing module (Kazoo's child `_`):
 *    record_call start -> device (timeout 2) -> `_`: record_call stop -> record_call start
 *    (other settings, on answer) -> device B. Exactly two uploads: the first covers routing ->
 *    the continuation (the ringing, silent), the second answer -> hang-up with both tones;
 *  - mid-call from the Crossbar channels API (PUT .../channels/{call-id}, action metaflow,
 *    module record_call): start, a second start while one runs (no effect), stop, start again,
 *    POST hangup. Exactly two uploads, each as long as its start..stop window (0.1 s).
 * Also the API's answers around it: list and one channel, 400 field errors, 404, 403, 401.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import type { TestService } from '../../helpers/service';
import { UploadServer } from '../../helpers/upload-server';
import { answerOn, bridged, callFrom, ended, nextCall, registerPhone } from '../calls/setup';
import { goertzel, newStream, rtpengineTargets, sendTone } from './media';
import {
  API_KEY, CALLEE_TONE, CALLER_TONE, decodeBody, setRecording, uploadsOf, type World, startRecordingEnv, type RecordingEnv,
} from './setup';

let svc: TestService;
let upload: UploadServer;
let w: World;
let env: RecordingEnv | undefined;
let token = '';
let otherAccount = '';
let otherToken = '';
let ringer = '';

type Api = (method: string, path: string, body?: unknown, auth?: string) => Promise<{ status: number; body: Record<string, unknown> }>;
const api: Api = async (method, path, body, auth = token) => {
  const res = await fetch(`${svc.apiUrl}${path}`, {
    method,
    headers: { ...(auth ? { 'x-auth-token': auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
};

async function login(key: string): Promise<string> {
  const r = await api('PUT', '/v2/api_auth', { data: { api_key: key } }, '');
  const tok = r.body.auth_token;
  if (typeof tok !== 'string') throw new Error(`api_auth ${r.status}`);
  return tok;
}

/** An API request timed at the middle of its round trip (the action runs inside it). */
async function timed(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; at: number }> {
  const t0 = performance.now();
  const r = await api(method, path, body);
  return { ...r, at: (t0 + performance.now()) / 2 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const recordCall = (data: Record<string, unknown>): Record<string, unknown> => ({ action: 'metaflow', data: { module: 'record_call', data } });

t.before(async () => {
  env = await startRecordingEnv();
  ({ svc, upload, w } = env);
  token = await login(API_KEY);
  otherAccount = (await svc.store.createAccount(null, { name: 'other', realm: 'other.test', pvt_api_key: 'other-key' }))._id;
  otherToken = await login('other-key');
  ringer = (await svc.store.create('devices', w.accountId, { name: 'phone 3001', sip: { username: '3001', password: 'pw-3001' } }))._id;
  await svc.store.create('callflows', w.accountId, {
    name: 'fallback', numbers: ['3100'],
    flow: {
      module: 'record_call', data: { action: 'start', label: 'first', url: `${upload.url}/first`, format: 'wav' },
      children: {
        _: {
          module: 'device', data: { id: ringer, timeout: 2 },
          children: {
            _: {
              module: 'record_call', data: { action: 'stop' },
              children: {
                _: {
                  module: 'record_call', data: { action: 'start', label: 'second', url: `${upload.url}/second`, format: 'wav', record_on_answer: true },
                  children: { _: { module: 'device', data: { id: w.calleeDevice } } },
                },
              },
            },
          },
        },
      },
    },
  });
});
t.teardown(async () => {
  await env?.close();
});

/**
 * Phone 1001 calls `number`, whose callflow rings phone 3001 (which only rings) and then, in
 * its continuation, phone 2001 (which answers with a tone): the three phones, the three SIPp
 * runs and the call.
 */
async function callViaFallback(number: string) {
  const ringing = await registerPhone(svc, '3001');
  const callee = await registerPhone(svc, '2001');
  const caller = await registerPhone(svc, '1001');
  try {
    const ringUas = answerOn(ringing.port, 'phone-ring.xml', ringing.rtp.port);
    const uas = answerOn(callee.port, 'rec-phone-answer.xml', callee.rtp.port);
    const callP = nextCall(svc);
    const uac = callFrom(svc, 'rec-phone-call.xml', { user: '1001', number, rtpPort: caller.rtp.port, port: await freePort() });
    return { ringing, callee, caller, ringUas, uas, uac, call: await callP };
  } catch (err) {
    for (const p of [ringing, callee, caller]) p.rtp.close();
    throw err;
  }
}

t.test('callflow continuation: stop ends the first recording, a start with other settings records the rest', async (t) => {
  const { ringing, callee, caller, ringUas, uas, uac, call } = await callViaFallback('3100');
  try {
    let tRouted = performance.now();
    let tRerouted = 0;
    let tAnswered = 0;
    let tEnded = 0;
    call.once('routed', () => { tRouted = performance.now(); });
    call.once('rerouted', () => { tRerouted = performance.now(); });
    call.once('answered', () => { tAnswered = performance.now(); });
    call.onClose(() => { tEnded = performance.now(); });
    await bridged(call);
    t.ok(tRerouted > tRouted, 'the callflow continued after the first device');
    const ports = await rtpengineTargets(svc, call);
    await Promise.all([
      sendTone(caller.rtp, ports.toCallerSide, CALLER_TONE, 150, newStream(0x1111)),
      sendTone(callee.rtp, ports.toCalleeSide, CALLEE_TONE, 150, newStream(0x2222)),
    ]);
    const [a, b, r] = await Promise.all([uac, uas.done, ringUas.done]);
    t.equal(a.code, 0, `caller scenario ${a.errors}`);
    t.equal(b.code, 0, `callee scenario ${b.errors}`);
    t.equal(r.code, 0, `ringing phone cancelled (${r.errors})`);
    await ended(call);

    const ups = await uploadsOf(upload, call.callId, 2);
    const first = ups.filter((u) => u.path.startsWith('/first/'));
    const second = ups.filter((u) => u.path.startsWith('/second/'));
    t.equal(first.length, 1, 'one upload of the first recording');
    t.equal(second.length, 1, 'one upload of the second recording');
    const d1 = decodeBody(first[0].body, 'wav');
    const ring = (tRerouted - tRouted) / 1000;
    t.ok(Math.abs(d1.durationSec - ring) <= 0.1, `first: routing -> continuation ${ring.toFixed(3)} s, file ${d1.durationSec.toFixed(3)} s`);
    t.ok(goertzel(d1.ch[0], d1.sampleRate, CALLER_TONE) < 1e4, 'first: the ringing only (no tone)');
    const d2 = decodeBody(second[0].body, 'wav');
    const talk = (tEnded - tAnswered) / 1000;
    t.ok(Math.abs(d2.durationSec - talk) <= 0.1, `second: answer -> hang-up ${talk.toFixed(3)} s, file ${d2.durationSec.toFixed(3)} s`);
    t.equal(d2.channels, 2);
    t.ok(goertzel(d2.ch[0], d2.sampleRate, CALLER_TONE) > 20 * goertzel(d2.ch[0], d2.sampleRate, CALLEE_TONE), 'caller tone left');
    t.ok(goertzel(d2.ch[1], d2.sampleRate, CALLEE_TONE) > 20 * goertzel(d2.ch[1], d2.sampleRate, CALLER_TONE), 'callee tone right');

    await sleep(1000);
    await svc.service.recordings?.flush();
    t.equal(upload.delivered().filter((u) => u.query.call_id === call.callId).length, 2, 'no other upload');
    const list = await api('GET', `/v2/accounts/${w.accountId}/recordings`);
    const mine = (list.body.data as Record<string, unknown>[]).filter((x) => x.call_id === call.callId);
    t.same(mine.map((x) => x.origin).sort(), ['callflow : first', 'callflow : second'], 'exactly the two recordings');
  } finally {
    for (const p of [ringing, callee, caller]) p.rtp.close();
  }
});

t.test('callflow continuation: the callee\'s endpoint recording is the answering device\'s, not the failed one\'s', async (t) => {
  await svc.store.create('callflows', w.accountId, {
    numbers: ['3200'], flow: { module: 'device', data: { id: ringer, timeout: 1 }, children: { _: { module: 'device', data: { id: w.calleeDevice } } } },
  });
  await setRecording(svc, 'devices', ringer, { inbound: { onnet: { enabled: true, url: `${upload.url}/ringer`, format: 'wav' } } });
  await setRecording(svc, 'devices', w.calleeDevice, { inbound: { onnet: { enabled: true, url: `${upload.url}/answerer`, format: 'wav', record_on_answer: true } } });
  t.teardown(async () => {
    await setRecording(svc, 'devices', ringer, null);
    await setRecording(svc, 'devices', w.calleeDevice, null);
  });
  const { ringing, callee, caller, ringUas, uas, uac, call } = await callViaFallback('3200');
  try {
    let tAnswered = 0;
    let tEnded = 0;
    call.once('answered', () => { tAnswered = performance.now(); });
    call.onClose(() => { tEnded = performance.now(); });
    await bridged(call);
    const [a, b, r] = await Promise.all([uac, uas.done, ringUas.done]);
    t.same([a.code, b.code, r.code], [0, 0, 0], 'scenarios passed');
    await ended(call);
    const [up] = await uploadsOf(upload, call.callId, 1);
    t.match(decodeURIComponent(up.path), /^\/answerer\//, 'the answering device\'s URL');
    const d = decodeBody(up.body, 'wav');
    const talk = (tEnded - tAnswered) / 1000;
    t.ok(Math.abs(d.durationSec - talk) <= 0.1, `answer -> hang-up ${talk.toFixed(3)} s, file ${d.durationSec.toFixed(3)} s`);
    await sleep(1000);
    await svc.service.recordings?.flush();
    t.equal(upload.delivered().filter((u) => u.query.call_id === call.callId).length, 1, 'nothing for the device that only rang');
  } finally {
    for (const p of [ringing, callee, caller]) p.rtp.close();
  }
});

t.test('channels API: record_call start / stop on a running call, hang-up', async (t) => {
  const callee = await registerPhone(svc, '2001');
  const caller = await registerPhone(svc, '1001');
  try {
    const uas = answerOn(callee.port, 'rec-phone-answer.xml', callee.rtp.port);
    const callP = nextCall(svc);
    const uac = callFrom(svc, 'phone-call-wait-bye.xml', { user: '1001', number: '2000', rtpPort: caller.rtp.port, port: await freePort() });
    const call = await callP;
    await bridged(call);
    const base = `/v2/accounts/${w.accountId}/channels`;
    const ch = `${base}/${encodeURIComponent(call.callId)}`;

    const listed = await api('GET', base);
    t.equal(listed.status, 200);
    const entry = (listed.body.data as Record<string, unknown>[]).find((c) => c.uuid === call.callId);
    t.match(entry, { answered: true, authorizing_type: 'device', authorizing_id: w.callerDevice, username: '1001', destination: '2000', call_direction: 'onnet_to_onnet', recordings: [] });
    t.equal(typeof entry?.other_leg, 'string', 'the B leg\'s Call-ID');
    const viaOther = `/v2/accounts/${otherAccount}/channels/${encodeURIComponent(call.callId)}`;
    t.match(await api('GET', viaOther, undefined, otherToken), { status: 404 }, 'another account\'s call is unknown there');
    t.match(await api('PUT', viaOther, recordCall({ action: 'start', url: `${upload.url}/x` }), otherToken), { status: 404 });
    t.match(await api('GET', `/v2/accounts/${otherAccount}/channels`, undefined, otherToken), { status: 200, body: { data: [] } });
    t.match(await api('GET', ch, undefined, otherToken), { status: 403 });

    const ports = await rtpengineTargets(svc, call);
    const tones = Promise.all([
      sendTone(caller.rtp, ports.toCallerSide, CALLER_TONE, 200, newStream(0x3333)),
      sendTone(callee.rtp, ports.toCalleeSide, CALLEE_TONE, 200, newStream(0x4444)),
    ]);
    await sleep(400);
    // Refused bodies change nothing.
    const bad = await api('PUT', ch, recordCall({ action: 'start', format: 'ogg', time_limit: 1 }));
    t.equal(bad.status, 400);
    t.match(bad.body, { status: 'error', error: '400', data: { 'data.format': { enum: {} }, 'data.time_limit': { minimum: {} } } });
    const nested = await api('PUT', ch, { data: { action: 'metaflow', data: { module: 'record_call', data: { action: 'start' } } } });
    t.equal(nested.status, 400, 'action inside data with the node one level down: module missing, as Kazoo');
    t.match(nested.body, { data: { module: { required: {} } } });
    const wrongAction = await api('PUT', ch, { action: 'transfer', data: { module: 'record_call' } });
    t.match(wrongAction, { status: 400, body: { data: { action: { enum: { target: ['metaflow'] } } } } });

    const start1 = await timed('PUT', ch, recordCall({ action: 'start', label: 'api', url: `${upload.url}/api1`, format: 'wav' }));
    t.match(start1, { status: 202, body: { status: 'success', data: 'metaflow sent' } });
    const again = await api('PUT', ch, recordCall({ action: 'start', label: 'again', url: `${upload.url}/again`, format: 'wav' }));
    t.equal(again.status, 202, 'a start while one runs is accepted and does nothing');
    const during = await api('GET', ch);
    t.match(during.body.data, { uuid: call.callId, recordings: [{ source: 'callflow', origin: 'callflow : api', label: 'api', format: 'wav', state: 'recording' }] });
    t.equal((during.body.data as { recordings: unknown[] }).recordings.length, 1, 'one recording');
    await sleep(1500);
    const stop = await timed('PUT', ch, recordCall({ action: 'stop' }));
    t.equal(stop.status, 202);
    await sleep(300);
    const start2 = await timed('PUT', ch, { action: 'metaflow', data: { module: 'record_call', data: { action: 'toggle', label: 'api2', url: `${upload.url}/api2`, format: 'wav' } } });
    t.equal(start2.status, 202);
    await sleep(1200);
    const hang = await timed('POST', ch, { data: { action: 'hangup' } });
    t.match(hang, { status: 202, body: { data: 'hangup initiated' } });
    await ended(call);
    await tones;
    const [a, b] = await Promise.all([uac, uas.done]);
    t.equal(a.code, 0, `caller got the BYE (${a.errors})`);
    t.equal(b.code, 0, `callee got the BYE (${b.errors})`);

    const ups = await uploadsOf(upload, call.callId, 2);
    const one = ups.filter((u) => u.path.startsWith('/api1/'));
    const two = ups.filter((u) => u.path.startsWith('/api2/'));
    t.equal(one.length, 1, 'first API recording uploaded once');
    t.equal(two.length, 1, 'second API recording uploaded once');
    const d1 = decodeBody(one[0].body, 'wav');
    const w1 = (stop.at - start1.at) / 1000;
    t.ok(Math.abs(d1.durationSec - w1) <= 0.1, `start..stop ${w1.toFixed(3)} s, file ${d1.durationSec.toFixed(3)} s`);
    t.ok(goertzel(d1.ch[0], d1.sampleRate, CALLER_TONE) > 20 * goertzel(d1.ch[0], d1.sampleRate, CALLEE_TONE), 'caller tone left');
    t.ok(goertzel(d1.ch[1], d1.sampleRate, CALLEE_TONE) > 20 * goertzel(d1.ch[1], d1.sampleRate, CALLER_TONE), 'callee tone right');
    const d2 = decodeBody(two[0].body, 'wav');
    const w2 = (hang.at - start2.at) / 1000;
    t.ok(Math.abs(d2.durationSec - w2) <= 0.1, `start..hang-up ${w2.toFixed(3)} s, file ${d2.durationSec.toFixed(3)} s`);

    await sleep(1000);
    await svc.service.recordings?.flush();
    t.equal(upload.delivered().filter((u) => u.query.call_id === call.callId).length, 2, 'no other upload (the ignored start made none)');
    const gone = await api('GET', ch);
    t.match(gone, { status: 404, body: { message: 'bad_identifier' } }, 'an ended call is no channel');
  } finally {
    callee.rtp.close();
    caller.rtp.close();
  }
});

t.test('channels API: tenancy and authentication', async (t) => {
  const unknown = await api('PUT', `/v2/accounts/${w.accountId}/channels/no-such-call`, recordCall({ action: 'start' }));
  t.match(unknown, { status: 404, body: { message: 'bad_identifier' } });
  t.match(await api('GET', `/v2/accounts/${w.accountId}/channels/no-such-call`), { status: 404 });
  t.match(await api('GET', `/v2/accounts/${w.accountId}/channels`), { status: 200, body: { data: [] } });
  t.match(await api('GET', `/v2/accounts/${w.accountId}/channels`, undefined, otherToken), { status: 403 }, 'another tenant is refused');
  t.match(await api('GET', `/v2/accounts/${otherAccount}/channels`, undefined, otherToken), { status: 200, body: { data: [] } });
  t.match(await api('GET', `/v2/accounts/${w.accountId}/channels`, undefined, ''), { status: 401 });
  t.match(await api('POST', `/v2/accounts/${w.accountId}/channels/x`, { data: { action: 'hangup' } }, ''), { status: 401 });
});
