import t from 'tap';
import {
  mediaNameWithExtension,
  nearestSupportedRate,
  resolveSettings,
  slotSettings,
  type CallRecording,
  type RawRecordingSettings,
  type RecordingDefaults,
  type ResolvedRecordingSettings,
} from '../../../src/policy';

const DEFAULTS: ResolvedRecordingSettings = {
  format: 'mp3',
  stereo: true,
  record_sample_rate: 16000,
  time_limit: 3600,
  record_min_sec: 0,
  record_on_answer: false,
  record_on_bridge: false,
  start: 'now' as ResolvedRecordingSettings['start'],
  method: 'put',
  follow_transfer: false,
};

const CASES: { name: string; raw: RawRecordingSettings; defaults?: Partial<RecordingDefaults>; expect: Partial<ResolvedRecordingSettings> }[] = [
  { name: 'nothing set: every default', raw: {}, expect: {} },
  { name: 'wav kept', raw: { format: 'wav' }, expect: { format: 'wav' } },
  { name: 'unknown format falls back to mp3 (Kazoo get_format)', raw: { format: 'ogg' }, expect: { format: 'mp3' } },
  { name: 'mono defaults to 8000 Hz', raw: { stereo: false }, expect: { stereo: false, record_sample_rate: 8000 } },
  { name: 'explicit rate kept (stereo)', raw: { record_sample_rate: 8000 }, expect: { record_sample_rate: 8000 } },
  { name: 'explicit rate kept (mono)', raw: { stereo: false, record_sample_rate: 16000 }, expect: { stereo: false, record_sample_rate: 16000 } },
  { name: 'unsupported rate moves to the nearest supported', raw: { record_sample_rate: 44000 }, expect: { record_sample_rate: 44100 } },
  { name: 'time_limit kept below the max', raw: { time_limit: 60 }, expect: { time_limit: 60 } },
  { name: 'time_limit at the max', raw: { time_limit: 10800 }, expect: { time_limit: 10800 } },
  { name: 'time_limit over the max is capped', raw: { time_limit: 99999 }, expect: { time_limit: 10800 } },
  { name: 'non-positive time_limit takes the default', raw: { time_limit: 0 }, expect: { time_limit: 3600 } },
  { name: 'record_min_sec kept', raw: { record_min_sec: 5 }, expect: { record_min_sec: 5 } },
  { name: 'negative record_min_sec counts as 0', raw: { record_min_sec: -3 }, expect: { record_min_sec: 0 } },
  { name: 'record_on_answer', raw: { record_on_answer: true }, expect: { record_on_answer: true, start: 'answer' as ResolvedRecordingSettings['start'] } },
  { name: 'record_on_bridge', raw: { record_on_bridge: true }, expect: { record_on_bridge: true, start: 'bridge' as ResolvedRecordingSettings['start'] } },
  {
    name: 'answer wins over bridge (kapps_call:start_recording)',
    raw: { record_on_answer: true, record_on_bridge: true },
    expect: { record_on_answer: true, record_on_bridge: true, start: 'answer' as ResolvedRecordingSettings['start'] },
  },
  { name: 'http url kept', raw: { url: 'https://rec.example.com/x?y=1' }, expect: { url: 'https://rec.example.com/x?y=1' } },
  { name: 'non-http url dropped', raw: { url: 'ftp://rec.example.com/x' }, expect: {} },
  { name: 'post method', raw: { method: 'post' }, expect: { method: 'post' } },
  { name: 'media_name gets the extension', raw: { media_name: 'greeting', format: 'wav' }, expect: { format: 'wav', media_name: 'greeting.wav' } },
  { name: 'system defaults: wav mono 11025, limit 120', raw: {}, defaults: { format: 'wav', stereo: false, monoSampleRate: 11025, timeLimit: 120 }, expect: { format: 'wav', stereo: false, record_sample_rate: 11025, time_limit: 120 } },
  { name: 'announce: an empty object is the beep, not recorded', raw: { announce: {} }, expect: { announce: { media: 'tone', recorded: false } } },
  { name: 'announce: a prompt file, recorded', raw: { announce: { media: '/srv/media/notice.wav', recorded: true } }, expect: { announce: { media: '/srv/media/notice.wav', recorded: true } } },
  { name: 'system max below 10800 caps', raw: { time_limit: 7200 }, defaults: { maxTimeLimit: 3600 }, expect: { time_limit: 3600 } },
];

t.test('resolveSettings fills every default exactly', async (t) => {
  for (const c of CASES) {
    t.same(resolveSettings(c.raw, c.defaults), { ...DEFAULTS, ...c.expect }, c.name);
  }
});

t.test('nearestSupportedRate', async (t) => {
  const table: [number, number][] = [
    [8000, 8000], [1, 8000], [16000, 16000], [20000, 22050], [44000, 44100], [96000, 48000], [9512, 8000], [9513, 11025],
  ];
  for (const [given, expected] of table) t.equal(nearestSupportedRate(given), expected, `${given}`);
});

t.test('mediaNameWithExtension (Kazoo get_media_name)', async (t) => {
  t.equal(mediaNameWithExtension('abc', 'mp3'), 'abc.mp3');
  t.equal(mediaNameWithExtension('abc.mp3', 'mp3'), 'abc.mp3');
  t.equal(mediaNameWithExtension('abc.wav', 'mp3'), 'abc.wav.mp3');
});

t.test('slotSettings: `any` fallbacks, merged key by key (kz_endpoint_v5 merge_call_recording)', async (t) => {
  const cr: CallRecording = {
    any: { any: { enabled: true, format: 'wav', time_limit: 10, record_min_sec: 1 }, offnet: { time_limit: 20 } },
    inbound: { any: { format: 'mp3', record_min_sec: 2 }, offnet: { record_min_sec: 3 } },
    outbound: { onnet: { enabled: false } },
  };
  const table: [string, 'inbound' | 'outbound', 'onnet' | 'offnet', object][] = [
    ['inbound/offnet: all four layers', 'inbound', 'offnet', { enabled: true, format: 'mp3', time_limit: 20, record_min_sec: 3 }],
    ['inbound/onnet: any.any + inbound.any', 'inbound', 'onnet', { enabled: true, format: 'mp3', time_limit: 10, record_min_sec: 2 }],
    ['outbound/onnet: own enabled false wins', 'outbound', 'onnet', { enabled: false, format: 'wav', time_limit: 10, record_min_sec: 1 }],
    ['outbound/offnet: any.any + any.offnet', 'outbound', 'offnet', { enabled: true, format: 'wav', time_limit: 20, record_min_sec: 1 }],
  ];
  for (const [name, dir, net, expected] of table) t.same(slotSettings(cr, dir, net), expected, name);
  t.equal(slotSettings({ inbound: { onnet: { enabled: true } } }, 'outbound', 'onnet'), undefined, 'absent slot');
  t.equal(slotSettings(undefined, 'inbound', 'onnet'), undefined, 'no call_recording');
});
