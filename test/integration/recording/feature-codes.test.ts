/**
 * In-call feature codes (Kazoo's konami metaflows) through the real service: the account's
 * `metaflows` set through the API (with its field errors), a call with nothing recorded, and the
 * caller's RFC 4733 key presses through rtpengine to the recorder's fork: `*1` starts a
 * record_call recording, `*2` pauses it, the card tone, `*2` resumes, `*1` stops; `*9` (no such
 * code) does nothing. One upload, with the paused interval and no card tone.
 */
import t from 'tap';
import type { TestService } from '../../helpers/service';
import type { UploadServer } from '../../helpers/upload-server';
import { ended } from '../calls/setup';
import { dominantSpan, goertzel, newStream, pressKey, rtpengineTargets, sendChanging, sendTone, type Stream } from './media';
import { CALLEE_TONE, CALLER_TONE, apiEndedCall, decodeBody, jsonApi, recordingDocOf, startRecordingEnv, uploadsOf, type JsonApi, type RecordingEnv, type World } from './setup';
import type { RtpEndpoint } from '../../helpers/rtp';

const CARD_TONE = 1800;
const STAR = 10;
let env: RecordingEnv | undefined;
let svc: TestService;
let upload: UploadServer;
let w: World;
let api: JsonApi;

t.before(async () => {
  env = await startRecordingEnv();
  ({ svc, upload, w } = env);
  api = await jsonApi(svc);
});
t.teardown(async () => {
  await env?.close();
});

t.test('account metaflows: field errors', async (t) => {
  const path = `/v2/accounts/${w.accountId}`;
  const bad = await api('PATCH', path, { data: { metaflows: { binding_digit: '**', digit_timeout: 50, numbers: { '1x': { module: 'record_call' }, '2': { module: 'transfer' } } } } });
  t.equal(bad.status, 400);
  t.match(bad.body.data, {
    'metaflows.binding_digit': { pattern: {} },
    'metaflows.digit_timeout': { minimum: {} },
  }, 'binding digit and timeout');
  t.match(bad.body.data, { 'metaflows.numbers.1x': { additionalProperties: {} }, 'metaflows.numbers.2.module': {} }, 'a number that is not digits, a module not offered');
});

/** The channel's recordings once `ok` holds for them (the key's end packet is acted on as it arrives), or the last seen. */
async function recordingsOnceThey(ch: string, ok: (r: Record<string, unknown>[]) => boolean, timeoutMs = 1000): Promise<Record<string, unknown>[]> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const r = ((await api('GET', ch)).body.data as { recordings: Record<string, unknown>[] }).recordings;
    if (ok(r) || performance.now() > end) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** A key press whose stream then goes on in step with the wall clock (the end packets took 2 frames). */
async function press(ep: RtpEndpoint, port: number, event: number, s: Stream): Promise<void> {
  await pressKey(ep, port, event, s);
  s.ts += 2 * 160;
}

t.test('*1 starts, *2 pauses and resumes, *1 stops: the card tone is not in the file', async (t) => {
  const ok = await api('PATCH', `/v2/accounts/${w.accountId}`, {
    data: {
      call_recording: { pause_mode: 'silence' },
      metaflows: {
        binding_digit: '*', digit_timeout: 2000,
        numbers: {
          1: { module: 'record_call', data: { action: 'toggle', url: `${upload.url}/codes`, format: 'wav', record_sample_rate: 8000, label: 'keys' } },
          2: { module: 'record_call', data: { action: 'pause_toggle' } },
        },
      },
    },
  });
  t.equal(ok.status, 200, JSON.stringify(ok.body.data));
  const c = await apiEndedCall(svc, w, 'rec-phone-call-wait-bye.xml');
  const { call, caller, callee, ch } = c;
  try {
    const ports = await rtpengineTargets(svc, call);
    const a = newStream(0x7171);
    const b = newStream(0x8181);
    let calleeDone = false;
    const calleeTone = (async () => {
      while (!calleeDone) await sendTone(callee.rtp, ports.toCalleeSide, CALLEE_TONE, 25, b);
    })();
    const to = ports.toCallerSide;
    await sendTone(caller.rtp, to, CALLER_TONE, 25, a);
    t.match((await api('GET', ch)).body.data, { recordings: [] }, 'nothing recorded before *1');
    await press(caller.rtp, to, STAR, a);
    await press(caller.rtp, to, 9, a);
    await press(caller.rtp, to, STAR, a);
    await press(caller.rtp, to, 1, a);
    await sendTone(caller.rtp, to, CALLER_TONE, 50, a);
    const started = await recordingsOnceThey(ch, (r) => r.length > 0);
    t.match(started, [{ source: 'callflow', label: 'keys', state: 'recording', paused: false }], '*1 started the recording (*9 did nothing)');
    t.equal(started.length, 1);
    await press(caller.rtp, to, STAR, a);
    await press(caller.rtp, to, 2, a);
    t.match(await recordingsOnceThey(ch, (r) => r[0]?.paused === true), [{ paused: true }], '*2 paused it');
    await sendTone(caller.rtp, to, CARD_TONE, 50, a);
    await press(caller.rtp, to, STAR, a);
    await press(caller.rtp, to, 2, a);
    t.match(await recordingsOnceThey(ch, (r) => r[0]?.paused === false), [{ paused: false }], '*2 resumed it');
    await sendTone(caller.rtp, to, CALLER_TONE, 50, a);
    await press(caller.rtp, to, STAR, a);
    await press(caller.rtp, to, 1, a);
    await sendTone(caller.rtp, to, CALLER_TONE, 25, a);
    t.match(await recordingsOnceThey(ch, (r) => r[0]?.state !== 'recording'), [{ state: /stopping|finalizing|finished/ }], '*1 stopped it');
    t.equal((await api('POST', ch, { data: { action: 'hangup' } })).status, 202);
    await ended(call);
    calleeDone = true;
    await calleeTone;
    const [r1, r2] = await Promise.all([c.uac, c.uas]);
    t.same([r1.code, r2.code], [0, 0], `scenarios passed (${r1.errors} ${r2.errors})`);

    const ups = await uploadsOf(upload, call.callId, 1);
    t.equal(ups.length, 1, 'one recording');
    const d = decodeBody(ups[0].body, 'wav');
    const doc = await recordingDocOf(svc, w.accountId, call.callId, 'uploaded');
    const ivs = doc.paused_intervals as unknown as { offset_ms: number; duration_ms: number }[];
    t.equal(ivs.length, 1, 'one paused interval');
    const from = ivs[0].offset_ms * 8;
    const len = ivs[0].duration_ms * 8;
    // From the end of the first *2 (slot 5 of 8) to the end of the second: 40 + 1000 (card) + 160 (*) + 100 ms.
    // Each edge is placed at its key's arrival (the kernel's time, however late the service acts
    // on it); what is left is this process's pacing of the packets (30-45 ms over, measured).
    t.ok(Math.abs(len / 8000 - 1.3) <= 0.1, `paused ${ivs[0].duration_ms} ms: the card tone and the *2 press`);
    t.ok(d.ch[0].subarray(from, from + len).every((v) => v === 0), 'silence over the paused interval');
    let card = 0;
    for (let i = 0; i + 160 <= d.ch[0].length; i += 80) {
      const p = goertzel(d.ch[0], 8000, CARD_TONE, i, i + 160);
      if (p > 1e5 && p > goertzel(d.ch[0], 8000, CALLER_TONE, i, i + 160)) card++;
    }
    t.equal(card, 0, 'no 20 ms of card tone in the file');
    t.ok(goertzel(d.ch[0], 8000, CALLER_TONE, 0, from) > 1e6, 'the caller\'s tone before the pause');
    t.ok(goertzel(d.ch[0], 8000, CALLER_TONE, from + len, d.ch[0].length) > 1e6, 'and after the resume');
    t.ok(Math.abs(d.durationSec - (50 + 8 + 8 + 50 + 8 + 50 + 8 + 8) * 0.02) <= 0.25, `file ${d.durationSec.toFixed(3)} s: from *1 to *1`);
  } finally {
    c.close();
  }
});

t.test('SIP INFO: the caller\'s *2 (dtmf-relay) pauses, the callee\'s *2 (application/dtmf) resumes; garbage 400, unknown type 415', async (t) => {
  const ok = await api('PATCH', `/v2/accounts/${w.accountId}`, {
    data: {
      call_recording: { pause_mode: 'silence', account: { inbound: { onnet: { enabled: true, url: `${upload.url}/info`, format: 'wav', record_sample_rate: 8000, record_on_answer: true } } } },
      metaflows: { binding_digit: '*', numbers: { 2: { module: 'record_call', data: { action: 'pause_toggle' } } } },
    },
  });
  t.equal(ok.status, 200, JSON.stringify(ok.body.data));
  // The phones' SIPp scenarios send the INFOs on their own clock (1.5 s after the answer, then 1.5 s later).
  const c = await apiEndedCall(svc, w, 'rec-phone-call-info.xml', 'rec-phone-answer-info.xml');
  const { call, caller, callee, ch } = c;
  try {
    const ports = await rtpengineTargets(svc, call);
    let card = false;
    let done = false;
    const tones = Promise.all([
      sendChanging(caller.rtp, ports.toCallerSide, () => (card ? CARD_TONE : CALLER_TONE), () => done, newStream(0x9191)),
      sendChanging(callee.rtp, ports.toCalleeSide, () => CALLEE_TONE, () => done, newStream(0xa1a1)),
    ]);
    t.match(await recordingsOnceThey(ch, (r) => r[0]?.paused === true, 5000), [{ paused: true }], 'the caller\'s INFO *2 paused it');
    card = true;
    await new Promise((r) => setTimeout(r, 800));
    card = false;
    t.match(await recordingsOnceThey(ch, (r) => r[0]?.paused === false, 5000), [{ paused: false }], 'the callee\'s INFO *2 resumed it');
    await new Promise((r) => setTimeout(r, 1000));
    t.equal((await api('POST', ch, { data: { action: 'hangup' } })).status, 202);
    await ended(call);
    done = true;
    await tones;
    const [r1, r2] = await Promise.all([c.uac, c.uas]);
    t.same([r1.code, r2.code], [0, 0], `scenarios passed: 200 to the key presses, relayed both ways, 400 to the keyless body, 415 relayed (${r1.errors} ${r2.errors})`);
    const [up] = await uploadsOf(upload, call.callId, 1);
    const d = decodeBody(up.body, 'wav');
    const doc = await recordingDocOf(svc, w.accountId, call.callId, 'uploaded');
    const ivs = doc.paused_intervals as unknown as { offset_ms: number; duration_ms: number }[];
    t.equal(ivs.length, 1, 'one paused interval');
    t.ok(ivs[0].duration_ms >= 1200 && ivs[0].duration_ms <= 2500, `paused ${ivs[0].duration_ms} ms (the phones press 1.5 s apart)`);
    t.equal(dominantSpan(d.ch[0], 8000, CARD_TONE, CALLER_TONE).blocks, 0, 'no card tone in the file');
    const from = ivs[0].offset_ms * 8;
    const to = from + ivs[0].duration_ms * 8;
    t.ok(goertzel(d.ch[0], 8000, CALLER_TONE, 0, from) > 1e6 && goertzel(d.ch[0], 8000, CALLER_TONE, to, d.ch[0].length) > 1e6, 'the caller\'s tone before the pause and after the resume');
  } finally {
    c.close();
  }
});
