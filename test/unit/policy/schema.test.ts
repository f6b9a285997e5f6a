import t from 'tap';
import type { TSchema } from '@sinclair/typebox';
import {
  AccountCallRecording,
  CallRecording,
  RecordCallAction,
  RecordCallerAction,
  RecordingSettings,
  validateWith,
} from '../../../src/policy';

interface Case {
  name: string;
  schema: TSchema;
  input: unknown;
  /** undefined: valid; else every [path, rule] expected, in any order. */
  errors?: [string, string][];
  /** For valid inputs: the value after schema defaults. */
  value?: unknown;
}

const CASES: Case[] = [
  // RecordingSettings (call_recording.parameters)
  { name: 'settings: empty', schema: RecordingSettings, input: {}, value: {} },
  {
    name: 'settings: every key',
    schema: RecordingSettings,
    input: { enabled: true, format: 'wav', record_min_sec: 2, record_on_answer: true, record_on_bridge: false, record_sample_rate: 8000, time_limit: 5, url: 'https://r.example.com/a' },
  },
  { name: 'settings: time_limit max 10800', schema: RecordingSettings, input: { time_limit: 10800 } },
  { name: 'settings: time_limit over max', schema: RecordingSettings, input: { time_limit: 10801 }, errors: [['/time_limit', 'maximum']] },
  { name: 'settings: time_limit under min 5', schema: RecordingSettings, input: { time_limit: 4 }, errors: [['/time_limit', 'minimum']] },
  { name: 'settings: time_limit not integer', schema: RecordingSettings, input: { time_limit: 60.5 }, errors: [['/time_limit', 'type']] },
  { name: 'settings: format enum', schema: RecordingSettings, input: { format: 'ogg' }, errors: [['/format', 'enum']] },
  { name: 'settings: enabled boolean', schema: RecordingSettings, input: { enabled: 'yes' }, errors: [['/enabled', 'type']] },
  { name: 'settings: record_on_answer boolean', schema: RecordingSettings, input: { record_on_answer: 1 }, errors: [['/record_on_answer', 'type']] },
  { name: 'settings: record_on_bridge boolean', schema: RecordingSettings, input: { record_on_bridge: 'true' }, errors: [['/record_on_bridge', 'type']] },
  { name: 'settings: record_min_sec integer', schema: RecordingSettings, input: { record_min_sec: '5' }, errors: [['/record_min_sec', 'type']] },
  { name: 'settings: record_sample_rate integer', schema: RecordingSettings, input: { record_sample_rate: 8000.5 }, errors: [['/record_sample_rate', 'type']] },
  { name: 'settings: url must be http(s)', schema: RecordingSettings, input: { url: 'ftp://r.example.com/' }, errors: [['/url', 'format']] },
  { name: 'settings: url must be a URL', schema: RecordingSettings, input: { url: 'recordings' }, errors: [['/url', 'format']] },
  { name: 'settings: url string', schema: RecordingSettings, input: { url: 5 }, errors: [['/url', 'type']] },
  { name: 'settings: no other keys', schema: RecordingSettings, input: { stereo: true }, errors: [['/stereo', 'additionalProperties']] },
  { name: 'settings: not an object', schema: RecordingSettings, input: [], errors: [['/', 'type']] },

  // CallRecording (call_recording + call_recording.source)
  { name: 'call_recording: Sales example', schema: CallRecording, input: { inbound: { offnet: { enabled: true } }, outbound: { offnet: { enabled: true } } } },
  { name: 'call_recording: any/any', schema: CallRecording, input: { any: { any: { enabled: true } }, inbound: { any: {}, onnet: {} } } },
  { name: 'call_recording: unknown direction', schema: CallRecording, input: { sideways: {} }, errors: [['/sideways', 'additionalProperties']] },
  { name: 'call_recording: unknown network', schema: CallRecording, input: { inbound: { internal: {} } }, errors: [['/inbound/internal', 'additionalProperties']] },
  {
    name: 'call_recording: nested errors carry their path',
    schema: CallRecording,
    input: { inbound: { offnet: { time_limit: 0, format: 'aac' } }, outbound: { any: { enabled: 'no' } } },
    errors: [['/inbound/offnet/time_limit', 'minimum'], ['/inbound/offnet/format', 'enum'], ['/outbound/any/enabled', 'type']],
  },

  // AccountCallRecording (accounts.json call_recording)
  { name: 'account: pause_mode omit', schema: AccountCallRecording, input: { pause_mode: 'omit' } },
  { name: 'account: pause_mode enum', schema: AccountCallRecording, input: { pause_mode: 'mute' }, errors: [['/pause_mode', 'enum']] },
  { name: 'account: both branches', schema: AccountCallRecording, input: { account: { inbound: { offnet: { enabled: true } } }, endpoint: { outbound: { any: { enabled: false } } } } },
  { name: 'account: bare directions rejected', schema: AccountCallRecording, input: { inbound: {} }, errors: [['/inbound', 'additionalProperties']] },
  { name: 'account: nested path', schema: AccountCallRecording, input: { account: { inbound: { onnet: { time_limit: 20000 } } } }, errors: [['/account/inbound/onnet/time_limit', 'maximum']] },

  // RecordCallAction (callflows.record_call)
  {
    name: 'record_call: empty takes the defaults',
    schema: RecordCallAction,
    input: {},
    value: { action: 'start', method: 'put', record_on_answer: false, record_on_bridge: false, should_follow_transfer: true, time_limit: 3600 },
  },
  { name: 'record_call: stop', schema: RecordCallAction, input: { action: 'stop' } },
  { name: 'record_call: pause', schema: RecordCallAction, input: { action: 'pause' } },
  { name: 'record_call: resume', schema: RecordCallAction, input: { action: 'resume' } },
  { name: 'record_call: action enum', schema: RecordCallAction, input: { action: 'mute' }, errors: [['/action', 'enum']] },
  { name: 'record_call: time_limit max', schema: RecordCallAction, input: { time_limit: 10801 }, errors: [['/time_limit', 'maximum']] },
  { name: 'record_call: format enum', schema: RecordCallAction, input: { format: 'flac' }, errors: [['/format', 'enum']] },
  { name: 'record_call: label string', schema: RecordCallAction, input: { label: 7 }, errors: [['/label', 'type']] },
  { name: 'record_call: media_name string', schema: RecordCallAction, input: { media_name: false }, errors: [['/media_name', 'type']] },
  { name: 'record_call: record_on_answer boolean', schema: RecordCallAction, input: { record_on_answer: 'no' }, errors: [['/record_on_answer', 'type']] },
  { name: 'record_call: url format', schema: RecordCallAction, input: { url: 'file:///etc/passwd' }, errors: [['/url', 'format']] },
  { name: 'record_call: extra keys allowed (Kazoo leaves additionalProperties open)', schema: RecordCallAction, input: { action: 'start', custom: 1 } },

  // RecordCallerAction (callflows.record_caller)
  { name: 'record_caller: defaults', schema: RecordCallerAction, input: { url: 'http://v.example.com/' }, value: { url: 'http://v.example.com/', method: 'put', time_limit: 3600 } },
  { name: 'record_caller: method enum', schema: RecordCallerAction, input: { method: 'get' }, errors: [['/method', 'enum']] },
  { name: 'record_caller: time_limit min', schema: RecordCallerAction, input: { time_limit: 1 }, errors: [['/time_limit', 'minimum']] },
  { name: 'record_caller: format enum', schema: RecordCallerAction, input: { format: 'mp4' }, errors: [['/format', 'enum']] },
  { name: 'record_caller: url format', schema: RecordCallerAction, input: { url: 'gopher://x' }, errors: [['/url', 'format']] },
];

t.test('schema validation: valid and invalid inputs with their error paths', async (t) => {
  for (const c of CASES) {
    const r = validateWith(c.schema, c.input);
    if (c.errors === undefined) {
      t.ok(r.ok, `${c.name}: valid`);
      if (r.ok && c.value !== undefined) t.same(r.value, c.value, `${c.name}: value with defaults`);
      continue;
    }
    t.notOk(r.ok, `${c.name}: invalid`);
    const got = r.ok ? [] : r.problems.map((p) => [p.path, p.rule]);
    t.same(new Set(got.map((g) => g.join(' '))), new Set(c.errors.map((e) => e.join(' '))), `${c.name}: errors`);
  }
});

t.test('validateWith never mutates its input', async (t) => {
  const input = {};
  validateWith(RecordCallAction, input);
  t.same(input, {});
});

t.test('enum errors name the allowed values', async (t) => {
  const r = validateWith(RecordCallerAction, { method: 'get' });
  t.same(r.ok ? [] : r.problems, [{ path: '/method', rule: 'enum', message: 'Value not found in enumerated list of values: put, post' }]);
});
