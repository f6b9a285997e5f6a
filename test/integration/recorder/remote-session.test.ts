import t from 'tap';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { freePorts } from '../../helpers/ports';
import { RecorderThreads } from '../../../src/recorder/remote/remote-session';
import { buildRtp } from '../../../src/recorder/rtp';
import { sendTones } from './rtp-sender';
import { decode, rms } from './decode';
import { dominant } from '../../unit/recorder/dsp';

// The same contract as RecordingSession, with the session living in a recorder worker thread.
const threads = new RecorderThreads(1);
const dir = mkdtempSync(join(tmpdir(), 'rec-remote-'));
t.teardown(async () => {
  await threads.close();
  rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newSession(legs = ['caller', 'callee']) {
  const ports = await freePorts(legs.length);
  const session = threads.createSession({ callId: `remote-${Math.random().toString(36).slice(2)}`, legs, ports: Object.fromEntries(legs.map((l, i) => [l, ports[i]])), jitterMs: 100, spoolDir: dir });
  const eps = await session.start();
  return { session, port: Object.fromEntries(eps.map((e) => [e.leg, e.port])) as Record<string, number> };
}

t.test('remote session: two legs with loss and reordering, WAV and MP3', async (t) => {
  const { session, port } = await newSession();
  session.setLegCodec('callee', { payloadType: 96, encoding: 'PCMA' });
  t.throws(() => session.setLegCodec('callee', { payloadType: 18, encoding: 'G729' }), { code: 'RECORDER_BAD_SETTINGS' });
  t.throws(() => session.record({ format: 'mp3', sampleRate: 96000, channels: 'stereo', timeLimitSec: 10, minSec: 0 }), { code: 'RECORDER_BAD_SETTINGS' });
  const wav = session.record({ format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const mp3 = session.record({ format: 'mp3', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const finished: string[] = [];
  session.on('recording-finished', (r) => finished.push(r.format));
  const t0 = performance.now();
  wav.begin();
  mp3.begin();
  t.throws(() => wav.begin(), { code: 'RECORDING_BAD_STATE' });
  await sendTones([
    { port: port.caller, pt: 0, freq: 1000, packets: 100, drop: new Set([30]) },
    { port: port.callee, pt: 8, wirePt: 96, freq: 400, packets: 100, swap: new Set([50]) },
  ]);
  await sleep(20);
  const results = await session.close('hangup');
  const expected = (performance.now() - t0) / 1000;
  t.equal(results.length, 2);
  t.same(finished.sort(), ['mp3', 'wav'], 'recording-finished events');
  const rw = await wav.finished;
  t.same([rw.legs.caller.received, rw.legs.caller.lost, rw.legs.callee.received, rw.legs.callee.lost], [99, 1, 100, 0]);
  for (const r of [rw, await mp3.finished]) {
    const d = decode(r.path);
    t.same([d.sampleRate, d.channels], [16000, 2], `${r.format}: 16 kHz stereo`);
    t.ok(Math.abs(d.durationSec - expected) < 0.1, `${r.format}: duration ${d.durationSec.toFixed(3)} ~ ${expected.toFixed(3)}`);
    t.equal(dominant(d.ch[0].subarray(3200, 28800), 16000, [400, 1000]), 1000, `${r.format}: caller left`);
    t.equal(dominant(d.ch[1].subarray(3200, 28800), 16000, [400, 1000]), 400, `${r.format}: callee right`);
  }
});

t.test('remote session: time limit, min length, DTMF, encoder failure', async (t) => {
  const { session, port } = await newSession();
  const limited = session.record({ format: 'wav', sampleRate: 8000, channels: 'mono', timeLimitSec: 0.5, minSec: 0 });
  const short = session.record({ format: 'wav', sampleRate: 8000, channels: 'mono', timeLimitSec: 3600, minSec: 60 });
  const broken = session.record({ format: 'mp3', sampleRate: 8000, channels: 'mono', timeLimitSec: 3600, minSec: 0, lamePath: '/nonexistent/lame' });
  const digits: string[] = [];
  session.on('dtmf', (leg, d) => digits.push(`${leg}:${d}`));
  limited.begin();
  short.begin();
  broken.begin();
  await sendTones([{ port: port.caller, pt: 0, freq: 1000, packets: 50 }]);
  const s = createSocket('udp4');
  s.send(buildRtp({ payloadType: 101, sequenceNumber: 1, timestamp: 9, ssrc: 3, payload: Uint8Array.of(11, 0x8a, 0, 160) }), port.caller, '127.0.0.1');
  await sleep(100);
  s.close();
  const rl = await limited.finished;
  t.same([rl.reason, rl.durationSec], ['time_limit', 0.5], 'time limit ended it by itself');
  t.equal(decode(rl.path).ch[0].length, 4000);
  t.ok(rms(decode(rl.path).ch[0], 800, 4000) > 3000, 'tone recorded');
  await session.close();
  const rs = await short.finished;
  t.equal(rs.discarded, true);
  t.notOk(existsSync(rs.path));
  await t.rejects(broken.finished, { code: 'RECORDER_ENCODER_FAILED' });
  t.same(digits, ['caller:#']);
  t.equal(await session.legStats(), null, 'closed session has no stats');
});
