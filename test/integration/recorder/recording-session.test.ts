import t from 'tap';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { freePorts } from '../../helpers/ports';
import { EncoderPool } from '../../../src/recorder/encoder/pool';
import { RecordingSession } from '../../../src/recorder/session';
import { buildRtp } from '../../../src/recorder/rtp';
import { sendTones } from './rtp-sender';
import { decode, rms, type Decoded } from './decode';
import { goertzel, dominant } from '../../unit/recorder/dsp';
import type { ReceiveKind } from '../../../src/recorder/udp/sockets';

/** The assertions the helpers use (tap's Test type is not exported under CommonJS). */
interface TestT {
  equal(found: unknown, wanted: unknown, ...msg: [string]): boolean;
  same(found: unknown, wanted: unknown, ...msg: [string]): boolean;
  ok(value: unknown, ...msg: [string]): boolean;
}

const pool = new EncoderPool(1);
const dir = mkdtempSync(join(tmpdir(), 'rec-it-'));
t.teardown(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newSession(legs?: string[], receive?: ReceiveKind) {
  const names = legs ?? ['caller', 'callee'];
  const ports = await freePorts(names.length);
  const session = new RecordingSession({
    callId: `it-${Math.random().toString(36).slice(2)}`,
    legs: names,
    pool,
    ports: Object.fromEntries(names.map((n, i) => [n, ports[i]])),
    jitterMs: 100,
    spoolDir: dir,
    ...(receive ? { receive } : {}),
  });
  const eps = await session.start();
  return { session, port: Object.fromEntries(eps.map((e) => [e.leg, e.port])) as Record<string, number> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** First sample index where the channel is clearly carrying the tone. */
function onset(x: Int16Array): number {
  const i = x.findIndex((v) => Math.abs(v) > 1000);
  return i < 0 ? x.length : i;
}

function checkTones(t: TestT, d: Decoded, label: string): void {
  const from = Math.floor(d.sampleRate * 0.2);
  const to = Math.floor(d.sampleRate * 2.8);
  const left = d.ch[0].subarray(from, to);
  const right = d.ch[1].subarray(from, to);
  t.equal(dominant(left, d.sampleRate, [400, 1000]), 1000, `${label}: left (caller) carries 1 kHz`);
  t.equal(dominant(right, d.sampleRate, [400, 1000]), 400, `${label}: right (callee) carries 400 Hz`);
  t.ok(goertzel(left, d.sampleRate, 1000) > 10 * goertzel(left, d.sampleRate, 400), `${label}: no callee bleed into left`);
  t.ok(goertzel(right, d.sampleRate, 400) > 10 * goertzel(right, d.sampleRate, 1000), `${label}: no caller bleed into right`);
}

/** Every 20 ms block where a packet was sent holds the tone; dropped blocks are silent. */
function checkNoGaps(t: TestT, d: Decoded, c: number, packets: number, dropped: ReadonlySet<number>, minRms: number, label: string): void {
  const x = d.ch[c];
  const o = onset(x);
  const block = d.sampleRate / 50;
  const edge = Math.floor(block / 5);
  const quiet: number[] = [];
  const silentDropped: number[] = [];
  for (let k = 0; k < packets; k++) {
    const a = o + k * block;
    const r = rms(x, a + edge, a + block - edge);
    if (dropped.has(k)) {
      if (r < 500) silentDropped.push(k);
    } else if (!dropped.has(k - 1) && !dropped.has(k + 1) && r < minRms) {
      quiet.push(k);
    }
  }
  t.same(quiet, [], `${label}: no gap where packets were sent`);
  t.same(silentDropped, [...dropped], `${label}: dropped packets are silence, in place`);
}

// Both receive adapters (recorder.receive) record the same call the same way.
for (const receive of ['batched', 'dgram'] as const) t.test(`two legs, loss/reorder/duplicate, WAV and MP3 decoded and checked (receive ${receive})`, async (t) => {
  const { session, port } = await newSession(undefined, receive);
  const wav = session.record({ format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const mp3 = session.record({ format: 'mp3', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0, mp3Backend: 'lame-cli' });
  const mono = session.record({ format: 'wav', sampleRate: 8000, channels: 'mono', timeLimitSec: 3600, minSec: 0 });
  const tBegin = performance.now();
  wav.begin();
  mp3.begin();
  mono.begin();
  const drop = new Set([40, 41]);
  await sendTones([
    { port: port.caller, pt: 0, freq: 1000, packets: 150, drop },
    { port: port.callee, pt: 8, freq: 400, packets: 150, swap: new Set([70]), dup: new Set([90]) },
  ]);
  await sleep(20);
  const results = await session.close('hangup');
  const expected = (performance.now() - tBegin) / 1000;
  t.equal(results.length, 3, 'every recording finalized by close()');
  t.same(await session.close(), results, 'close() is idempotent');
  const [rw, rm, rmono] = [await wav.finished, await mp3.finished, await mono.finished];

  t.equal(rw.discarded, false);
  t.equal(rw.reason, 'hangup');
  t.same([rw.legs.caller.lost, rw.legs.caller.received, rw.legs.callee.lost, rw.legs.callee.duplicates, rw.legs.callee.late], [2, 148, 0, 1, 0], 'per-leg counters');
  t.equal(rw.packetsLost, 2);
  t.ok(Math.abs(rw.durationSec - expected) < 0.1, `reported duration ${rw.durationSec} ~ ${expected.toFixed(3)}`);

  const dw = decode(rw.path);
  t.same([dw.sampleRate, dw.channels], [16000, 2], 'WAV: 16 kHz stereo');
  t.ok(Math.abs(dw.durationSec - expected) < 0.1, `WAV duration ${dw.durationSec} within 0.1 s of ${expected.toFixed(3)}`);
  t.equal(rw.bytes, 44 + dw.ch[0].length * 4, 'WAV header sizes match the data');
  checkTones(t, dw, 'WAV');
  checkNoGaps(t, dw, 0, 150, drop, 3000, 'WAV left');
  checkNoGaps(t, dw, 1, 150, new Set(), 3000, 'WAV right');
  t.ok(Math.abs(onset(dw.ch[0]) - onset(dw.ch[1])) < 0.005 * 16000, `legs aligned within 5 ms (onsets ${onset(dw.ch[0])}, ${onset(dw.ch[1])})`);

  const dm = decode(rm.path);
  t.same([dm.sampleRate, dm.channels], [16000, 2], 'MP3: 16 kHz stereo');
  t.ok(Math.abs(dm.durationSec - expected) < 0.1, `MP3 duration ${dm.durationSec} within 0.1 s of ${expected.toFixed(3)}`);
  checkTones(t, dm, 'MP3');
  checkNoGaps(t, dm, 1, 150, new Set(), 2000, 'MP3 right');

  const dmono = decode(rmono.path);
  t.same([dmono.sampleRate, dmono.channels], [8000, 1], 'mono WAV: 8 kHz mono');
  const mid = dmono.ch[0].subarray(1600, 16000);
  t.ok(goertzel(mid, 8000, 1000) > 2000 && goertzel(mid, 8000, 400) > 2000, 'mono mix carries both tones');
});

t.test('packets longer than the usual decode buffer (200 ms, 1600 samples) are recorded whole', async (t) => {
  const { session, port } = await newSession();
  const wav = session.record({ format: 'wav', sampleRate: 8000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  wav.begin();
  await sendTones([
    { port: port.caller, pt: 0, freq: 1000, packets: 12, ptimeMs: 200 },
    { port: port.callee, pt: 8, freq: 400, packets: 12, ptimeMs: 200 },
  ]);
  await sleep(20);
  await session.close('hangup');
  const r = await wav.finished;
  t.same([r.legs.caller.received, r.legs.caller.lost, r.legs.callee.received, r.legs.callee.lost], [12, 0, 12, 0], 'every 200 ms packet counted, none lost');
  const d = decode(r.path);
  const o = onset(d.ch[0]);
  // 2.4 s of tone per leg: each 20 ms block from the onset to 2.38 s carries it.
  let quiet = 0;
  for (let b = o; b + 160 <= o + 0.98 * 2.4 * 8000; b += 160) {
    if (goertzel(d.ch[0].subarray(b, b + 160), 8000, 1000) < 1000) quiet++;
  }
  t.equal(quiet, 0, 'the caller\'s tone has no 20 ms gap across the long packets');
  t.ok(goertzel(d.ch[1].subarray(o + 800, o + 16000), 8000, 400) > 2000, 'the callee\'s tone is there');
});

t.test('time_limit cuts the recording by itself', async (t) => {
  const { session, port } = await newSession();
  const rec = session.record({ format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 1, minSec: 0 });
  rec.begin();
  const sending = sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 100 }, { port: port.callee, pt: 8, freq: 400, packets: 100 }]);
  const r = await rec.finished;
  t.equal(rec.state, 'finished', 'finished before the call ended');
  await sending;
  await session.close();
  t.equal(r.reason, 'time_limit');
  t.equal(r.durationSec, 1);
  const d = decode(r.path);
  t.equal(d.ch[0].length, 16000, 'exactly one second of samples');
});

t.test('shorter than record_min_sec is deleted and reported discarded', async (t) => {
  const { session, port } = await newSession();
  const rec = session.record({ format: 'mp3', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 2 });
  rec.begin();
  await sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 25 }]);
  const [r] = await session.close('hangup');
  t.equal(r.discarded, true);
  t.equal(r.bytes, 0);
  t.ok(r.durationSec < 2);
  t.notOk(existsSync(r.path), 'file deleted');
});

t.test('record_on_answer: nothing before begin() is written; a never-begun recording leaves no file', async (t) => {
  const { session, port } = await newSession();
  const rec = session.record({ format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const never = session.record({ format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const sending = sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 100 }]);
  await sleep(1000);
  const tBegin = performance.now();
  rec.begin();
  await sending;
  const expected = (performance.now() - tBegin) / 1000;
  const r = await rec.stop('stop');
  t.equal(r.reason, 'stop');
  t.ok(r.beganAtSec !== null && r.beganAtSec > 0.9, `began at ${r.beganAtSec} s of call time`);
  t.ok(Math.abs(r.durationSec - expected) < 0.1, `duration ${r.durationSec} counts from begin() (~${expected.toFixed(2)})`);
  const d = decode(r.path);
  t.ok(rms(d.ch[0], 160, 1600) > 3000, 'tone present from the first 10 ms');
  t.ok(rms(d.ch[1], 0, d.ch[1].length) < 50, 'silent callee channel');
  const [nr] = await session.close();
  t.equal(nr.discarded, true, 'never begun: discarded');
  t.notOk(existsSync(never.settings.path));
});

t.test('record_caller: one leg, mono; DTMF # reported', async (t) => {
  const { session, port } = await newSession(['caller']);
  const rec = session.record({ format: 'mp3', sampleRate: 8000, channels: 'mono', timeLimitSec: 3600, minSec: 0 });
  const digits: string[] = [];
  const ages: number[] = [];
  session.on('dtmf', (leg, digit, agoMs) => {
    digits.push(`${leg}:${digit}`);
    ages.push(performance.now() - agoMs);
  });
  rec.begin();
  await sendTones([{ port: port.caller, pt: 8, freq: 1000, packets: 50 }]);
  const s = createSocket('udp4');
  const sent = performance.now();
  for (let i = 0; i < 3; i++) {
    // RFC 4733 end packet for event 11 ('#'), sent three times with the same timestamp.
    s.send(buildRtp({ payloadType: 101, sequenceNumber: 9000 + i, timestamp: 777, ssrc: 5, payload: Uint8Array.of(11, 0x80 | 10, 0x03, 0x20) }), port.caller, '127.0.0.1');
  }
  await sleep(100);
  s.close();
  t.same(digits, ['caller:#'], 'one # event');
  // The event carries when its packet came (record_caller ends there), not when it was read.
  t.ok(ages.length === 1 && Math.abs(ages[0] - sent) < 10, `the key's arrival is given: ${(ages[0] - sent).toFixed(1)} ms after sending`);
  const [r] = await session.close();
  const d = decode(r.path);
  t.same([d.sampleRate, d.channels], [8000, 1]);
  t.equal(dominant(d.ch[0].subarray(800, 7200), 8000, [400, 1000]), 1000);
});

t.test('negotiated dynamic payload type decoded; junk and unknown codecs counted, not recorded', async (t) => {
  const { session, port } = await newSession();
  session.setLegCodec('callee', { payloadType: 96, encoding: 'pcma' });
  t.throws(() => session.setLegCodec('callee', { payloadType: 18, encoding: 'G729' }), { code: 'RECORDER_BAD_SETTINGS' });
  const rec = session.record({ format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const before = Date.now();
  rec.begin();
  const s = createSocket('udp4');
  s.send(Buffer.from('not rtp at all'), port.caller, '127.0.0.1');
  s.send(buildRtp({ payloadType: 18, sequenceNumber: 1, timestamp: 1, ssrc: 9, payload: new Uint8Array(20) }), port.caller, '127.0.0.1');
  await sendTones([{ port: port.callee, pt: 8, wirePt: 96, freq: 400, packets: 50 }]);
  s.close();
  const [r] = await session.close();
  t.same([r.legs.caller.malformed, r.legs.caller.ignored, r.legs.caller.received], [1, 1, 0], 'caller: junk counted, nothing decoded');
  t.equal(r.legs.callee.received, 50, 'callee PT 96 decoded as PCMA');
  t.ok(r.startedAt !== null && r.startedAt >= before && r.endedAt >= r.startedAt, 'wall-clock start and end');
  t.ok(r.encoderSec > 0, 'worker time reported');
  const d = decode(r.path);
  t.equal(dominant(d.ch[1].subarray(1600, 14400), 16000, [400, 1000]), 400);
  t.ok(rms(d.ch[0], 0, d.ch[0].length) < 50, 'caller channel silent');
});

t.test('encoder failure ends the recording with RECORDER_ENCODER_FAILED and leaves no file', async (t) => {
  const { session, port } = await newSession();
  const rec = session.record({ format: 'mp3', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0, lamePath: '/nonexistent/lame' });
  rec.begin();
  await sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 10 }]);
  const results = await session.close();
  t.same(results, [], 'no result for the failed recording');
  await t.rejects(rec.finished, { code: 'RECORDER_ENCODER_FAILED' });
  t.notOk(existsSync(rec.settings.path), 'no partial file');
});

t.test('port range exhausted: start() fails with RECORDING_BAD_STATE and releases what it bound', async (t) => {
  const [p] = await freePorts(1);
  const s1 = new RecordingSession({ callId: 'range', pool, portRange: { min: p, max: p } });
  await t.rejects(s1.start(), { code: 'RECORDING_BAD_STATE' });
  t.equal(s1.state, 'closed');
  const s2 = new RecordingSession({ callId: 'range2', legs: ['caller'], pool, portRange: { min: p, max: p } });
  const [ep] = await s2.start();
  t.equal(ep.port, p, 'the port was released and can be bound again');
  await s2.close();
});

t.test('one session, two recordings with their own windows: one stops mid-call, the other runs on', async (t) => {
  const { session, port } = await newSession();
  const account = session.record({ format: 'wav', sampleRate: 8000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const endpoint = session.record({ format: 'wav', sampleRate: 16000, channels: 'mono', timeLimitSec: 3600, minSec: 0 });
  const t0 = performance.now();
  account.begin();
  endpoint.begin();
  const sending = sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 100 }, { port: port.callee, pt: 8, freq: 400, packets: 100 }]);
  await sleep(800);
  const stoppedAfter = (performance.now() - t0) / 1000;
  const re = await endpoint.stop('stop');
  t.equal(account.state, 'recording', 'the other recording is unaffected');
  await sending;
  const [ra] = await session.close();
  const total = (performance.now() - t0) / 1000;
  t.ok(Math.abs(re.durationSec - stoppedAfter) < 0.1, `stopped one: ${re.durationSec} ~ ${stoppedAfter.toFixed(2)}`);
  t.ok(Math.abs(ra.durationSec - total) < 0.1, `running one: ${ra.durationSec} ~ ${total.toFixed(2)}`);
  t.same([decode(re.path).channels, decode(re.path).sampleRate, decode(ra.path).channels, decode(ra.path).sampleRate], [1, 16000, 2, 8000]);
  t.not(re.path, ra.path, 'each recording has its own file');
});

t.test('stop with agoMs ends the recording that long before now (a transfer re-pointed the media earlier)', async (t) => {
  const { session, port } = await newSession();
  const settings = { format: 'wav', sampleRate: 8000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 } as const;
  const [now, back] = [session.record(settings), session.record(settings)];
  now.begin();
  back.begin();
  const sending = sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 60 }]);
  await sleep(800);
  const [a, b] = await Promise.all([now.stop('stop'), back.stop('stop', 60)]);
  await sending;
  await session.close();
  t.ok(Math.abs(a.durationSec - b.durationSec - 0.06) < 0.01, `ends 60 ms earlier (within the 100 ms jitter delay): ${b.durationSec} s against ${a.durationSec} s`);
});

t.test('pause and resume with agoMs: the edges that long before now, never inside what was written', async (t) => {
  const { session, port } = await newSession();
  const settings = { format: 'wav', sampleRate: 8000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 } as const;
  const [now, back, far] = [session.record(settings), session.record(settings), session.record(settings)];
  // Each group of calls is "at once", but a loaded machine may preempt between them (CI: 6.6 ms
  // under three busy loops): the comparisons below allow what the calls themselves took.
  const took = (fn: () => void): number => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const begins = took(() => {
    for (const r of [now, back, far]) r.begin();
  });
  const sending = sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 75 }]);
  await sleep(600);
  // A feature code's key came 60 ms ago; far's "5 s ago" reaches back past what was written.
  const pauses = took(() => {
    now.pause();
    back.pause(60);
    far.pause(5000);
  });
  await sleep(500);
  const resumes = took(() => {
    now.resume();
    back.resume(60);
    far.resume(60);
  });
  await sending;
  const [a, b, c] = await session.close();
  const [pa, pb, pc] = [a.paused[0], b.paused[0], c.paused[0]];
  const slack = `(slack: the calls took ${begins.toFixed(1)} / ${pauses.toFixed(1)} / ${resumes.toFixed(1)} ms)`;
  t.ok(Math.abs(pa.offsetMs - pb.offsetMs - 60) < 1 + begins + pauses, `the pause 60 ms earlier: ${pb.offsetMs} ms against ${pa.offsetMs} ms ${slack}`);
  t.ok(Math.abs(pa.durationMs - pb.durationMs) < 1 + pauses + resumes, `as long (both edges moved): ${pb.durationMs} ms against ${pa.durationMs} ms`);
  t.ok(Math.abs(pa.startedAt - pb.startedAt - 60) <= 2 + pauses, 'its wall-clock start moved back as well');
  // Written up to about the jitter delay (100 ms) and a tick (100 ms) back: not before that.
  t.ok(pc.offsetMs >= pa.offsetMs - 250 && pc.offsetMs < pa.offsetMs, `5 s back stops at what was written: ${pc.offsetMs} ms against ${pa.offsetMs} ms`);
  // Both of its edges on its own clock: held back at what was written, the pause's wall time was
  // still 5 s back, so pause to resume spanned 5.5 s of wall clock for 0.6 s paused.
  const wallSpan = pc.endedAt - pc.startedAt;
  t.ok(Math.abs(wallSpan - pc.durationMs) <= 2, `and its wall clock spans the paused stretch: ${wallSpan.toFixed(1)} ms for ${pc.durationMs} ms`);
  const d = decode(c.path);
  const edge = Math.floor((pc.offsetMs * d.sampleRate) / 1000);
  t.ok(rms(d.ch[0], edge - 800, edge) > 3000, 'the tone written before that edge is whole');
  t.ok(rms(d.ch[0], edge + 80, edge + 800) < 10, 'silence from it');
});

t.test('a sender whose clock runs 2% slow: no packet turns late, the leg keeps to the call\'s clock', async (t) => {
  // RFC 3550 6.4.1 clock skew, exaggerated so that it shows within seconds: each 20 ms packet
  // comes every 20.4 ms, so with a fixed anchor the 100 ms jitter window was used up after about
  // 250 packets and every packet after that was dropped as late (the fix: follow-delay.ts).
  const { session, port } = await newSession(['caller']);
  const rec = session.record({ format: 'wav', sampleRate: 8000, channels: 'mono', timeLimitSec: 3600, minSec: 0 });
  rec.begin();
  const t0 = performance.now();
  await sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 500, paceMs: 20.4 }]);
  const sent = (performance.now() - t0) / 1000;
  const [r] = await session.close();
  t.equal(r.legs.caller.late, 0, 'no packet late');
  t.equal(r.legs.caller.received, 500, 'every packet recorded');
  // 500 packets 0.4 ms late each: 204 ms the sender did not fill. The anchor moves later once the
  // lag passes half the window (100 ms of 100 + a tick), so some of it, counted; the rest is
  // still inside the window when the sender stops.
  t.ok(r.legs.caller.paddedMs >= 80 && r.legs.caller.paddedMs <= 220, `the silence put in is counted: ${r.legs.caller.paddedMs} ms`);
  t.equal(r.legs.caller.trimmedMs, 0, 'nothing trimmed');
  t.ok(Math.abs(r.durationSec - sent) < 0.3, `the recording lasts as long as the sending did: ${r.durationSec.toFixed(2)} s against ${sent.toFixed(2)} s`);
  const d = decode(r.path);
  const lastSec = d.ch[0].length - 8000;
  t.ok(rms(d.ch[0], lastSec - 8000, lastSec) > 3000, 'the tone is there in the last seconds');
});
