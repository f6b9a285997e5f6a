import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import { RecorderSection, type RecorderConfig } from '../../../src/config/sections/recorder';
import { recordingSettingsFrom, sessionOptionsFrom, encoderWorkersFrom, overloadFrom, recorderThreadsFrom, type ResolvedSettingsInput } from '../../../src/recorder/from-config';
import type { ResolvedRecordingSettings } from '../../../src/policy/types';

/** The recorder section alone with defaults applied (independent of the other parts' sections). */
const recorderConfig = (over: Partial<RecorderConfig>): RecorderConfig => Value.Default(RecorderSection, { ...over }) as RecorderConfig;

t.test('policy settings + recorder config -> recording settings', (t) => {
  const cfg = recorderConfig({ spoolDir: '/var/spool/rec', mp3BitrateKbps: 32 });
  const base = { format: 'mp3' as const, stereo: true, record_sample_rate: 16000, time_limit: 3600, record_min_sec: 5 };
  t.same(recordingSettingsFrom(base, cfg), {
    format: 'mp3', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 5,
    mp3Backend: 'lame-cli', lamePath: 'lame', mp3Quality: 7, encoderNice: 'idle', mp3BitrateKbps: 32,
  });
  const mono = recordingSettingsFrom({ ...base, format: 'wav', stereo: false, record_sample_rate: 8000, media_name: '../x/y.wav' }, cfg, ['caller']);
  t.same([mono.channels, mono.sampleRate, mono.legs, mono.path], ['mono', 8000, ['caller'], '/var/spool/rec/.._x_y.wav']);
  t.end();
});

t.test('session options and worker count from config', (t) => {
  const d = recorderConfig({});
  t.same(sessionOptionsFrom(d, 'c1'), { callId: 'c1', host: '127.0.0.1', spoolDir: 'spool/recordings', jitterMs: 500, receive: 'auto' });
  t.equal(sessionOptionsFrom(recorderConfig({ receive: 'dgram' }), 'c3').receive, 'dgram', 'recorder.receive reaches the session');
  const r = recorderConfig({ portMin: 30000, portMax: 30099, encoderWorkers: 3 });
  t.same(sessionOptionsFrom(r, 'c2').portRange, { min: 30000, max: 30099 });
  t.equal(encoderWorkersFrom(r), 3);
  t.ok(encoderWorkersFrom(d) >= 1);
  const auto = recorderThreadsFrom(d);
  t.ok(auto >= 1 && auto <= 4, `threads 'auto' by default: ${auto}`);
  t.equal(recorderThreadsFrom(recorderConfig({ threads: 0 })), 0, 'threads 0: sessions in-thread');
  t.equal(recorderThreadsFrom(recorderConfig({ threads: 6 })), 6);
  t.end();
});

t.test('overload guard settings: auto is the jitter delay with batched receive, half of it with dgram', (t) => {
  t.same(overloadFrom(recorderConfig({}), 'batched'), { lagMs: 500, backlogMs: 2000, clearSec: 10 }, 'defaults: jitter 500 ms, 2 s of backlog');
  t.same(overloadFrom(recorderConfig({}), 'dgram'), { lagMs: 250, backlogMs: 2000, clearSec: 10 });
  t.same(overloadFrom(recorderConfig({ jitterMs: 201 }), 'dgram'), { lagMs: 100, backlogMs: 2000, clearSec: 10 });
  t.same(overloadFrom(recorderConfig({ overloadLagMs: 0, overloadBacklogSec: 0, overloadClearSec: 3 }), 'batched'), { lagMs: 0, backlogMs: 0, clearSec: 3 }, '0: off');
  t.same(overloadFrom(recorderConfig({ overloadLagMs: 120, overloadBacklogSec: 0.5 }), 'batched'), { lagMs: 120, backlogMs: 500, clearSec: 10 }, 'a number is taken as it is');
  t.end();
});

t.test("the policy part's resolved settings fit the recorder's input type", (t) => {
  // Compile-time check: fails to build if the policy's shape drifts from what the recorder reads.
  const fits = (s: ResolvedRecordingSettings): ResolvedSettingsInput => s;
  t.type(fits, 'function');
  t.end();
});
