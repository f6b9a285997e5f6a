/**
 * record_call pause / resume (PCI) through the real service: SIPp phones, rtpengine, the
 * built-in recorder, the channels API. The caller's stream changes from its tone to a "card
 * number" tone only while the recording is paused; the decoded file (8 kHz WAV, no resampling,
 * so file samples are the recorder's own) must not contain the card tone, must hold digital
 * silence exactly over the interval the metadata reports (silence mode) or be shorter by it with
 * the tones joined (omit mode), and the caller's tone must be there before and after. Bad input:
 * pause twice, resume without pause, a pause with nothing recording, a bad pause_mode.
 */
import t, { type Test } from 'tap';
import type { TestService } from '../../helpers/service';
import type { UploadServer } from '../../helpers/upload-server';
import { ended } from '../calls/setup';
import { goertzel, newStream, rtpengineTargets, sendChanging } from './media';
import {
  CALLEE_TONE, CALLER_TONE, apiEndedCall, decodeBody, jsonApi, recordingDocOf, setRecording, startRecordingEnv, uploadsOf,
  type JsonApi, type RecordingEnv, type World,
} from './setup';

const CARD_TONE = 1800;
let env: RecordingEnv | undefined;
let svc: TestService;
let upload: UploadServer;
let w: World;
let api: JsonApi;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const recordCall = (action: string): Record<string, unknown> => ({ action: 'metaflow', data: { module: 'record_call', data: { action } } });

t.before(async () => {
  env = await startRecordingEnv({ webhookPath: '/hook' });
  ({ svc, upload, w } = env);
  api = await jsonApi(svc);
});
t.teardown(async () => {
  await env?.close();
});

interface PausedRun {
  callId: string;
  tAnswered: number;
  pause: number;
  resume: number;
  hang: number;
}

/**
 * One call recorded from the answer (account recording, 8 kHz stereo WAV): 1 s of tones, pause,
 * 1 s of the card tone, 0.2 s of the caller's tone again, resume, 1 s, hang-up from the API.
 * The refusals are asked for on the way and checked here.
 */
async function pausedCall(t: Test, mode: 'silence' | 'omit'): Promise<PausedRun> {
  await setRecording(svc, 'accounts', w.accountId, {
    account: { inbound: { onnet: { enabled: true, url: `${upload.url}/pci-${mode}`, format: 'wav', record_sample_rate: 8000, record_on_answer: true } } },
    pause_mode: mode,
  });
  const c = await apiEndedCall(svc, w);
  const { call, caller, callee, ch } = c;
  try {
    const ports = await rtpengineTargets(svc, call);
    // The card tone fills the frames scheduled between the pause's answer and 200 ms before the resume.
    let cardFrom = Infinity;
    let cardTo = Infinity;
    let done = false;
    const tones = Promise.all([
      sendChanging(caller.rtp, ports.toCallerSide, (slot) => (slot >= cardFrom && slot < cardTo ? CARD_TONE : CALLER_TONE), () => done, newStream(0x5151)),
      sendChanging(callee.rtp, ports.toCalleeSide, () => CALLEE_TONE, () => done, newStream(0x6161)),
    ]);
    await sleep(1000);
    t.match(await api('PUT', ch, recordCall('resume')), { status: 409, body: { message: 'RECORDING_NOT_PAUSED' } }, 'resume without pause: 409');
    const pause = await api('PUT', ch, recordCall('pause'));
    t.equal(pause.status, 202, 'paused');
    cardFrom = performance.now();
    const twice = await api('PUT', ch, recordCall('pause'));
    t.match(twice, { status: 409, body: { status: 'error', error: '409', message: 'RECORDING_ALREADY_PAUSED' } }, 'pause twice: 409');
    const during = await api('GET', ch);
    t.match(during.body.data, { recordings: [{ source: 'account', state: 'recording', paused: true }] }, 'the channel shows the recording paused');
    await sleep(1000);
    cardTo = performance.now();
    await sleep(200);
    const resume = await api('PUT', ch, recordCall('resume'));
    t.equal(resume.status, 202, 'resumed');
    await sleep(1000);
    const hang = await api('POST', ch, { data: { action: 'hangup' } });
    t.equal(hang.status, 202);
    await ended(call);
    done = true;
    await tones;
    const [a, b] = await Promise.all([c.uac, c.uas]);
    t.same([a.code, b.code], [0, 0], `scenarios passed (${a.errors} ${b.errors})`);
    return { callId: call.callId, tAnswered: c.tAnswered, pause: pause.at, resume: resume.at, hang: hang.at };
  } finally {
    c.close();
  }
}

interface Interval { offset_ms: number; duration_ms: number; started_at_ms: number; ended_at_ms: number; omitted: boolean }

/** The one paused interval of the call's recording document, checked against the API's timing. */
async function intervalOf(t: Test, run: PausedRun, mode: 'silence' | 'omit'): Promise<Interval> {
  const doc = await recordingDocOf(svc, w.accountId, run.callId, 'uploaded');
  const ivs = doc.paused_intervals as unknown as Interval[];
  t.equal(ivs.length, 1, 'one paused interval in the recording document');
  const iv = ivs[0];
  t.equal(iv.omitted, mode === 'omit', `omitted in ${mode} mode`);
  const wall = run.resume - run.pause;
  t.ok(Math.abs(iv.duration_ms - wall) <= 60, `paused ${iv.duration_ms} ms, between the API calls ${wall.toFixed(0)} ms`);
  t.ok(Math.abs(iv.ended_at_ms - iv.started_at_ms - iv.duration_ms) <= 60, 'wall-clock pause and resume match its length');
  t.ok(Math.abs(iv.offset_ms - (run.pause - run.tAnswered)) <= 100, `at ${iv.offset_ms} ms in the file, paused ${(run.pause - run.tAnswered).toFixed(0)} ms after the answer`);
  const hook = upload.requests.find((r) => r.path === '/hook' && r.body.toString().includes(run.callId) && r.body.toString().includes('"uploaded"'));
  const body = JSON.parse(hook?.body.toString() ?? '{}') as { recording?: { meta?: { paused?: unknown[] } } };
  t.same(body.recording?.meta?.paused, [{ offsetMs: iv.offset_ms, durationMs: iv.duration_ms, startedAt: iv.started_at_ms, endedAt: iv.ended_at_ms, omitted: iv.omitted }], 'the webhook\'s meta lists it');
  return iv;
}

/**
 * The 20 ms windows (10 ms steps) of x where the card tone is present and stronger than the
 * caller's tone. Present: over CARD_FLOOR, what about 3 ms of it at the senders' level gives
 * (10 ms: 6.4e8). A window across a splice of the caller's tone (its start, omit mode's cut)
 * splatters energy over every frequency: at most 5.1e6 at the card's for any cut and phase jump
 * (computed), and a jump of about 180 degrees in the window's middle cancels the caller's own to
 * as little (omit mode failed so, CI 2026-12-06: window 82 samples before the cut, nothing of the
 * card), so only the floor tells a splice from card audio.
 */
const CARD_FLOOR = 5e7;
function cardBlocks(x: Int16Array): number[] {
  const out: number[] = [];
  for (let b = 0; b + 160 <= x.length; b += 80) {
    const card = goertzel(x, 8000, CARD_TONE, b, b + 160);
    if (card > CARD_FLOOR && card > goertzel(x, 8000, CALLER_TONE, b, b + 160)) out.push(b);
  }
  return out;
}

t.test('the card detector: a splice of the caller\'s tone is not card audio, 15 ms of card is', (t) => {
  // 1 s of the caller's tone cut at sample 4002 (82 into a window) and joined at `jump`
  // degrees, with `card` samples of the card tone just before the cut.
  const spliced = (jump: number, card: number): Int16Array =>
    Int16Array.from({ length: 8000 }, (_, i) => {
      const f = i < 4002 && i >= 4002 - card ? CARD_TONE : CALLER_TONE;
      return Math.round(8000 * Math.sin((2 * Math.PI * f * i) / 8000 + (i >= 4002 ? (jump * Math.PI) / 180 : 0)));
    });
  const rows: Array<[jump: number, card: number, found: boolean]> = [[0, 0, false], [180, 0, false], [90, 0, false], [180, 120, true], [0, 120, true], [0, 160, true]];
  for (const [jump, card, found] of rows) t.equal(cardBlocks(spliced(jump, card)).length > 0, found, `jump ${jump} degrees, ${card} samples of card`);
  t.end();
});

/** Length of the run of exact zeros in x around [from, to). */
function zeroRun(x: Int16Array, from: number, to: number): { from: number; to: number } {
  let a = from;
  while (a > 0 && x[a - 1] === 0) a--;
  let b = to;
  while (b < x.length && x[b] === 0) b++;
  return { from: a, to: b };
}

t.test('silence mode: the card tone is not in the file, the paused interval is digital silence to the sample', async (t) => {
  const run = await pausedCall(t, 'silence');
  const [up] = await uploadsOf(upload, run.callId, 1);
  const d = decodeBody(up.body, 'wav');
  t.equal(d.sampleRate, 8000);
  const iv = await intervalOf(t, run, 'silence');
  const from = iv.offset_ms * 8;
  const to = from + iv.duration_ms * 8;
  t.ok(Number.isInteger(from) && Number.isInteger(to), 'the interval is given to the 8 kHz sample');
  for (const [i, name] of [[0, 'caller'], [1, 'callee']] as const) {
    const x = d.ch[i];
    t.ok(x.subarray(from, to).every((v) => v === 0), `${name} channel: all ${to - from} samples of the interval are 0`);
    // The callee's tone runs throughout: the silence is exactly the interval (a G.711 zero crossing may add a sample).
    if (name === 'callee') {
      const z = zeroRun(x, from, to);
      t.ok(from - z.from <= 2 && z.to - to <= 2, `callee channel: silence [${z.from}, ${z.to}) = interval [${from}, ${to})`);
    }
  }
  const c = d.ch[0];
  t.same(cardBlocks(c), [], 'no 20 ms of card tone in the file');
  t.ok(goertzel(c, 8000, CALLER_TONE, from - 4000, from) > 1e6, 'the caller\'s tone just before the pause');
  t.ok(goertzel(c, 8000, CALLER_TONE, to, to + 4000) > 1e6, 'and just after the resume');
  const total = (run.hang - run.tAnswered) / 1000;
  t.ok(Math.abs(d.durationSec - total) <= 0.1, `silence keeps the timeline: file ${d.durationSec.toFixed(3)} s, answer..hang-up ${total.toFixed(3)} s`);
});

t.test('omit mode: the paused stretch is left out, the file is shorter by it, the tones join at the cut', async (t) => {
  const run = await pausedCall(t, 'omit');
  const [up] = await uploadsOf(upload, run.callId, 1);
  const d = decodeBody(up.body, 'wav');
  const iv = await intervalOf(t, run, 'omit');
  const cut = iv.offset_ms * 8;
  const c = d.ch[0];
  const callee = d.ch[1];
  t.same(cardBlocks(c), [], 'no 20 ms of card tone in the file');
  t.ok(goertzel(c, 8000, CALLER_TONE, cut - 4000, cut) > 1e6, 'the caller\'s tone before the cut');
  t.ok(goertzel(c, 8000, CALLER_TONE, cut, cut + 4000) > 1e6, 'and right after it');
  const z = zeroRun(callee, cut, cut);
  t.ok(z.to - z.from <= 2, `no silence at the cut in the callee's channel ([${z.from}, ${z.to}))`);
  const total = (run.hang - run.tAnswered) / 1000;
  const expected = total - iv.duration_ms / 1000;
  t.ok(Math.abs(d.durationSec - expected) <= 0.1, `file ${d.durationSec.toFixed(3)} s = answer..hang-up ${total.toFixed(3)} s - paused ${iv.duration_ms} ms`);
  const doc = await recordingDocOf(svc, w.accountId, run.callId, 'uploaded');
  t.equal(doc.duration_ms, Math.round(d.durationSec * 1000), 'the document\'s duration is the file\'s');
});

t.test('bad input: pause with nothing recorded, a bad pause_mode', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, null);
  const bad = await api('PATCH', `/v2/accounts/${w.accountId}`, { data: { call_recording: { pause_mode: 'mute' } } });
  t.equal(bad.status, 400);
  t.match(bad.body, { data: { 'call_recording.pause_mode': {} } }, 'field error on call_recording.pause_mode');
  const c = await apiEndedCall(svc, w);
  const { call, ch } = c;
  try {
    t.match(await api('PUT', ch, recordCall('pause')), { status: 409, body: { message: 'RECORDING_NOT_ACTIVE' } }, 'nothing to pause: 409');
    const badAction = await api('PUT', ch, recordCall('halt'));
    t.match(badAction, { status: 400, body: { data: { 'data.action': { enum: {} } } } }, 'an unknown action: field error');
    t.equal((await api('POST', ch, { data: { action: 'hangup' } })).status, 202);
    await ended(call);
    const [a, b] = await Promise.all([c.uac, c.uas]);
    t.same([a.code, b.code], [0, 0]);
  } finally {
    c.close();
  }
});
