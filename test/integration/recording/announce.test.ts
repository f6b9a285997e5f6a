/**
 * Notice of recording (`announce` in the recording settings) through the real service: SIPp
 * phones, the real rtpengine's `play media`, the built-in recorder. Both parties send their tone
 * from the answer on; the notice (the built-in 1400 Hz beep, or a prompt file) must reach BOTH
 * parties (decoded from the RTP each received), and be in the file (`recorded: true`, both
 * channels, at the same place) or not at all (`recorded: false`: that stretch is silence in both channels,
 * the parties being muted while it plays). Bad input: 400 field errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { toneWav } from '../../../src/media';
import { decodeG711, tableForPayloadType } from '../../../src/recorder/g711';
import type { JsonObject } from '../../../src/store/types';
import type { RtpPacket } from '../../helpers/rtp';
import type { TestService } from '../../helpers/service';
import type { UploadServer } from '../../helpers/upload-server';
import { ended } from '../calls/setup';
import { dominantSpan, goertzel, newStream, rtpengineTargets, sendChanging } from './media';
import {
  CALLEE_TONE, CALLER_TONE, apiEndedCall, decodeBody, jsonApi, setRecording, startRecordingEnv, uploadsOf,
  type JsonApi, type RecordingEnv, type World,
} from './setup';

const BEEP = 1400;
const PROMPT = 1700;
let env: RecordingEnv | undefined;
let svc: TestService;
let upload: UploadServer;
let w: World;
let api: JsonApi;
const dir = mkdtempSync(join(tmpdir(), 'announce-'));
const promptFile = join(dir, 'prompt.wav');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.before(async () => {
  writeFileSync(promptFile, toneWav(PROMPT, 800));
  env = await startRecordingEnv();
  ({ svc, upload, w } = env);
  api = await jsonApi(svc);
});
t.teardown(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 20 ms frames a party received where `freq` dominates its own tone tenfold. */
function framesOf(received: readonly RtpPacket[], freq: number, own: number): number {
  const table = tableForPayloadType(0);
  if (!table) throw new Error('no PCMU table');
  let n = 0;
  for (const p of received) {
    if (p.payloadType !== 0) continue;
    const x = Int16Array.from(decodeG711(p.payload, table));
    const f = goertzel(x, 8000, freq);
    if (f > 1e5 && f > 10 * goertzel(x, 8000, own)) n++;
  }
  return n;
}

function rms(x: Int16Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return Math.sqrt(e / Math.max(1, x.length));
}

/** The longest run of exact zeros in x. */
function longestZeroRun(x: Int16Array): { from: number; length: number } {
  let best = { from: 0, length: 0 };
  for (let i = 0; i < x.length;) {
    if (x[i] !== 0) { i++; continue; }
    let j = i;
    while (j < x.length && x[j] === 0) j++;
    if (j - i > best.length) best = { from: i, length: j - i };
    i = j;
  }
  return best;
}

interface Run { d: ReturnType<typeof decodeBody>; callerGot: number; calleeGot: number }

/** A call recorded from the answer (8 kHz stereo WAV) with `announce`, both tones for 2.5 s, hung up from the API. */
async function announcedCall(t: Test, announce: JsonObject, freq: number): Promise<Run> {
  await setRecording(svc, 'accounts', w.accountId, {
    account: { inbound: { onnet: { enabled: true, url: `${upload.url}/announce`, format: 'wav', record_sample_rate: 8000, record_on_answer: true, announce } } },
  });
  const c = await apiEndedCall(svc, w);
  const { call, caller, callee, ch } = c;
  try {
    const ports = await rtpengineTargets(svc, call);
    let done = false;
    const tones = Promise.all([
      sendChanging(caller.rtp, ports.toCallerSide, () => CALLER_TONE, () => done, newStream(0x5151)),
      sendChanging(callee.rtp, ports.toCalleeSide, () => CALLEE_TONE, () => done, newStream(0x6161)),
    ]);
    await sleep(2500);
    t.equal((await api('POST', ch, { data: { action: 'hangup' } })).status, 202);
    await ended(call);
    done = true;
    await tones;
    const [a, b] = await Promise.all([c.uac, c.uas]);
    t.same([a.code, b.code], [0, 0], `scenarios passed (${a.errors} ${b.errors})`);
    const [up] = await uploadsOf(upload, call.callId, 1);
    return { d: decodeBody(up.body, 'wav'), callerGot: framesOf(caller.rtp.received, freq, CALLEE_TONE), calleeGot: framesOf(callee.rtp.received, freq, CALLER_TONE) };
  } finally {
    c.close();
  }
}

t.test('recorded: false: both parties hear the beep, the file holds silence there and no beep', async (t) => {
  const { d, callerGot, calleeGot } = await announcedCall(t, { recorded: false }, BEEP);
  t.ok(callerGot >= 20 && calleeGot >= 20, `the 0.5 s beep reached both parties (${callerGot} and ${calleeGot} frames of 25)`);
  t.equal(d.sampleRate, 8000);
  const [left, right] = d.ch;
  t.equal(dominantSpan(left, 8000, BEEP, CALLER_TONE).blocks, 0, 'no beep in the caller\'s channel');
  t.equal(dominantSpan(right, 8000, BEEP, CALLEE_TONE).blocks, 0, 'nor in the callee\'s');
  // The beep starts once the fork is up (a few hundred ms after the answer): the parties are
  // muted while it plays, a stretch of silence of its length in both channels.
  for (const [x, name] of [[left, 'caller'], [right, 'callee']] as const) {
    const run = longestZeroRun(x);
    t.ok(run.length >= 0.45 * 8000 && run.length <= 0.7 * 8000 && run.from < 1.5 * 8000, `${name}'s channel: ${run.length} samples of silence at ${run.from / 8000} s (the 0.5 s beep)`);
  }
  const callerTone = dominantSpan(left, 8000, CALLER_TONE, BEEP);
  const calleeTone = dominantSpan(right, 8000, CALLEE_TONE, BEEP);
  t.ok(callerTone.blocks >= 75 && calleeTone.blocks >= 75, `the parties are recorded around it (${callerTone.blocks}, ${calleeTone.blocks} blocks)`);
});

t.test('recorded: true with a prompt file: both parties hear it, both channels of the file hold it', async (t) => {
  const { d, callerGot, calleeGot } = await announcedCall(t, { media: promptFile, recorded: true }, PROMPT);
  t.ok(callerGot >= 35 && calleeGot >= 35, `the 0.8 s prompt reached both parties (${callerGot} and ${calleeGot} frames of 40)`);
  const at = (sec: number): number => Math.round(sec * 8000);
  const spans: Array<{ firstSec: number; lastSec: number }> = [];
  for (const [x, own, name] of [[d.ch[0], CALLER_TONE, 'caller'], [d.ch[1], CALLEE_TONE, 'callee']] as const) {
    const prompt = dominantSpan(x, 8000, PROMPT, own);
    spans.push(prompt);
    t.ok(prompt.blocks >= 35 && prompt.firstSec < 0.3, `the prompt is in the ${name}'s channel: ${prompt.blocks} blocks from ${prompt.firstSec} s`);
    const during = x.subarray(at(prompt.firstSec + 0.02), at(prompt.lastSec - 0.02));
    t.equal(dominantSpan(during, 8000, own, PROMPT).blocks, 0, `the ${name} (muted) is not heard over it`);
    t.ok(dominantSpan(x.subarray(at(prompt.lastSec)), 8000, own, PROMPT).blocks >= 75, `the ${name}'s own tone follows it`);
  }
  t.ok(Math.abs(spans[0].firstSec - spans[1].firstSec) <= 0.06, `at the same place in both channels (${spans[0].firstSec} s, ${spans[1].firstSec} s)`);
  // A mono recording is the sum of the legs (src/recorder/mixer.ts): each leg holds the notice at
  // half level, so a mix holds it at the level the parties heard. Checked per channel, not on a
  // sum made here: the legs are two RTP streams placed by their own (kernel) arrival times, a
  // sample or two apart, which at 1700 Hz is enough to cancel much of a sum of the two.
  for (const [i, p] of spans.entries()) {
    const level = rms(d.ch[i].subarray(at(p.firstSec + 0.05), at(p.lastSec - 0.05)));
    t.ok(Math.abs(level - 0.25 * 32767 / Math.SQRT2) < 0.05 * 32767, `channel ${i} holds it at half the prompt's level (rms ${level.toFixed(0)})`);
  }
});

t.test('bad announce settings: 400 field errors, nothing written', async (t) => {
  const path = `/v2/accounts/${w.accountId}`;
  const slot = (announce: unknown): unknown => ({ data: { call_recording: { account: { any: { any: { enabled: true, url: `${upload.url}/x`, announce } } } } } });
  const bad = await api('PATCH', path, slot({ media: 'beep.wav', recorded: 'yes', loud: true }));
  t.equal(bad.status, 400);
  t.match(bad.body.data, {
    'call_recording.account.any.any.announce.media': { pattern: {} },
    'call_recording.account.any.any.announce.recorded': {},
    'call_recording.account.any.any.announce.loud': { additionalProperties: {} },
  }, 'a relative path, a string for a boolean, an unknown key');
  const dots = await api('PATCH', path, slot({ media: '/var/media/../../etc/shadow.wav' }));
  t.match(dots, { status: 400, body: { data: { 'call_recording.account.any.any.announce.media': { pattern: {} } } } }, 'no .. in a prompt path');
  const doc = await api('GET', path);
  t.notOk(JSON.stringify(doc.body.data).includes('shadow'), 'nothing written');
});
