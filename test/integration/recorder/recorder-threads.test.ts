/**
 * Recording sessions in recorder worker threads (RecorderThreads, the service's default): the
 * same contract as an in-thread RecordingSession (start, codec, record, pause/resume, stats,
 * dtmf, close), files encrypted at rest and MP3 through the lame spawner; and a thread that
 * dies fails its recordings visibly (EncoderError, no file left), is replaced, and the next
 * call records again.
 */
import t from 'tap';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecorderThreads } from '../../../src/recorder/remote/remote-session';
import { LameSpawner } from '../../../src/recorder/spawner/helper';
import { EncoderError, RecordingPauseError } from '../../../src/recorder/errors';
import { RecordingState } from '../../../src/recorder/recording';
import { looksEncrypted } from '../../../src/atrest/framing';
import { openAll } from '../../../src/atrest/stream';
import { keyFiles, keyRing } from '../../helpers/atrest';
import { sendTones } from './rtp-sender';
import { decode } from './decode';
import { dominant } from '../../unit/recorder/dsp';

const dir = mkdtempSync(join(tmpdir(), 'rec-threads-'));
const ring = keyRing(keyFiles(['rt1']).sources, 'rt1');
const spawner = new LameSpawner('lame');
const host = new RecorderThreads(2, { encryption: ring.active(), spawner });
t.teardown(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether a UDP socket can bind 127.0.0.1:port now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const settings = { format: 'mp3' as const, sampleRate: 16000, channels: 'stereo' as const, timeLimitSec: 60, minSec: 0 };

t.test('a session in a recorder thread records both legs, sealed, through the lame spawner', async (t) => {
  await host.ready();
  const s = host.session({ callId: 'remote-1', spoolDir: dir, jitterMs: 100 });
  const [caller, callee] = await s.start();
  s.setLegCodec('caller', { payloadType: 0, encoding: 'PCMU' });
  const rec = s.record(settings);
  rec.begin();
  t.throws(() => rec.resume(), RecordingPauseError, 'resume without pause is refused here, as in-thread');
  await sendTones([{ port: caller.port, pt: 0, freq: 1000, packets: 100 }, { port: callee.port, pt: 8, freq: 400, packets: 100 }]);
  const live = await s.stats();
  t.equal(live.caller.received, 100, 'stats() answered by the thread');
  const [result] = await s.close('hangup');
  t.equal(rec.state, RecordingState.Finished);
  t.ok(result.durationSec > 1.9, `recorded ${result.durationSec.toFixed(2)} s`);
  t.same([result.packetsReceived, result.packetsLost], [200, 0]);
  const sealed = readFileSync(result.path);
  t.ok(looksEncrypted(sealed), 'the file is sealed as written');
  const plain = join(dir, 'remote-1.mp3');
  writeFileSync(plain, openAll(ring.lookup, sealed));
  const d = decode(plain);
  t.equal(dominant(d.ch[0].subarray(3200, 28000), d.sampleRate, [400, 1000]), 1000, 'left: the caller');
  t.equal(dominant(d.ch[1].subarray(3200, 28000), d.sampleRate, [400, 1000]), 400, 'right: the callee');
  t.same((await s.stats()).caller.received, 100, 'a closed session still gives its final counters');
});

t.test('pause and resume with agoMs cross to the thread as moments: the edges that long before now', async (t) => {
  await host.ready();
  const s = host.session({ callId: 'remote-pause', spoolDir: dir, jitterMs: 100 });
  const [caller] = await s.start();
  const wav = { format: 'wav' as const, sampleRate: 8000, channels: 'mono' as const, timeLimitSec: 60, minSec: 0, legs: ['caller'] };
  const [now, back] = [s.record(wav), s.record(wav)];
  now.begin();
  back.begin();
  const sending = sendTones([{ port: caller.port, pt: 0, freq: 1000, packets: 75 }]);
  await new Promise((r) => setTimeout(r, 600));
  now.pause();
  back.pause(60);
  await new Promise((r) => setTimeout(r, 500));
  now.resume();
  back.resume(60);
  await sending;
  const [a, b] = await s.close('hangup');
  const [pa, pb] = [a.paused[0], b.paused[0]];
  // Not to the millisecond: the edges are moments on the call's clock, and an anchor move of the
  // leg between the two moments (the sender's pacing drifts a few ms under load) adds or trims
  // that much audio between them. Measured 59.9-62.4 ms on a quiet machine; without agoMs it is 0.
  t.ok(Math.abs(pa.offsetMs - pb.offsetMs - 60) < 10, `the pause 60 ms earlier: ${pb.offsetMs} ms against ${pa.offsetMs} ms`);
  t.ok(Math.abs(pa.durationMs - pb.durationMs) < 10, `as long: ${pb.durationMs} ms against ${pa.durationMs} ms`);
});

t.test('a recorder thread that dies fails its recordings, is replaced, and the next session records', async (t) => {
  await host.ready();
  const s = host.session({ callId: 'doomed', spoolDir: dir, jitterMs: 100 });
  const [caller, callee] = await s.start();
  const rec = s.record(settings);
  rec.begin();
  await sendTones([{ port: caller.port, pt: 0, freq: 1000, packets: 25 }, { port: callee.port, pt: 0, freq: 400, packets: 25 }]);
  const worker = s.thread.worker;
  t.ok(host.workers.includes(worker), 'the session\'s thread is one of the host\'s');
  const restarts = host.restarts;
  await worker.terminate();
  await t.rejects(rec.finished, EncoderError, 'the recording fails (RECORDER_ENCODER_FAILED), it is not completed');
  t.equal(rec.state, RecordingState.Finished);
  t.notOk(existsSync(rec.settings.path), 'no partial file left');
  t.same(await s.close(), [], 'close() of the dead session resolves');
  for (const port of [caller.port, callee.port]) t.ok(await canBind(port), `port ${port} released with the dead thread (its sockets closed)`);
  t.equal(host.restarts, restarts + 1, 'the thread was replaced');
  t.equal(host.size, 2);
  await host.ready();
  const next = host.session({ callId: 'after', spoolDir: dir, jitterMs: 100 });
  const [c2] = await next.start();
  const r2 = next.record({ ...settings, format: 'wav', channels: 'mono', sampleRate: 8000, legs: ['caller'] });
  r2.begin();
  await sendTones([{ port: c2.port, pt: 0, freq: 1000, packets: 50 }]);
  const [res] = await next.close();
  t.ok(res.durationSec > 0.9 && res.packetsReceived === 50, `the next call records: ${res.durationSec.toFixed(2)} s, ${res.packetsReceived} packets`);
});
