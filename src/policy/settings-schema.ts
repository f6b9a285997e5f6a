import { FormatRegistry, Type, type Static } from '@sinclair/typebox';

/**
 * JSON schemas of the recording settings, as Kazoo declares them (the Crossbar validators under
 * 2600hz/kazoo applications/crossbar/priv/couchdb/schemas/):
 *   call_recording.parameters.json -> RecordingSettings
 *   call_recording.source.json     -> RecordingNetworks ({any, onnet, offnet})
 *   call_recording.json            -> CallRecording ({any, inbound, outbound})
 *   accounts.json#call_recording   -> AccountCallRecording ({account, endpoint})
 *   callflows.record_call.json     -> RecordCallAction
 *   callflows.record_caller.json   -> RecordCallerAction
 * Keys, types, enums, ranges, defaults and additionalProperties follow those files. The API
 * validates documents with these schemas; the policy reads the Static types.
 */

/**
 * Kazoo marks the recording `url` fields with `format: uri` plus its own "kazoo-validation"
 * (kz_json_schema_extensions.erl url_validation: the scheme must be http or https and a host
 * must be present). TypeBox only checks formats it knows, so the check is registered here; it is
 * what every validator of these schemas in this process gets. Beyond Kazoo, `s3://bucket[/prefix]`
 * names an S3-compatible bucket (issue 15; bucket names as S3's rules: 3-63 of a-z 0-9 . -).
 */
export function isHttpUrl(value: string): boolean {
  if (value.startsWith('s3://')) return /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^?#]*)?$/.test(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
}
FormatRegistry.Set('uri', isHttpUrl);

/**
 * What a paused stretch of a recording becomes (record_call pause / resume, PCI): digital
 * silence keeping the call's timeline (default), or left out of the file. Not in Kazoo, whose
 * mask always writes silence (record_session_mask).
 */
export const PauseMode = Type.Union([Type.Literal('silence'), Type.Literal('omit')], {
  description: 'What a paused stretch becomes in the file: silence (default) or omitted',
});
export type PauseMode = Static<typeof PauseMode>;

/**
 * The record_call actions: Kazoo's start / stop, plus pause / resume of every recording of the
 * call (PCI; a paused stretch is silence or left out, see PauseMode).
 */
export const RECORD_CALL_ACTIONS = ['start', 'stop', 'pause', 'resume'] as const;

/** Formats a recording can be written in (Kazoo's enum: mp3 | wav). */
export const RecordingFormat = Type.Union([Type.Literal('mp3'), Type.Literal('wav')]);
export type RecordingFormat = Static<typeof RecordingFormat>;

export const HttpMethod = Type.Union([Type.Literal('put'), Type.Literal('post')]);
export type HttpMethod = Static<typeof HttpMethod>;

/** Bounds Kazoo puts on time_limit (seconds) in every recording schema. */
export const TIME_LIMIT_MIN = 5;
export const TIME_LIMIT_MAX = 10800;
/** Default time limit of the record_call / record_caller actions and of resolved settings. */
export const TIME_LIMIT_DEFAULT = 3600;

const TimeLimit = (opts: { default?: number } = {}) =>
  Type.Integer({
    minimum: TIME_LIMIT_MIN,
    maximum: TIME_LIMIT_MAX,
    description: 'Time limit, in seconds, for the recording',
    ...opts,
  });

const Url = () =>
  Type.String({ format: 'uri', description: 'The URL to use when sending the recording for storage' });

/**
 * Notice of recording (not in Kazoo): a tone or a prompt played to both parties when the
 * recording begins (rtpengine's `play media`). `media`: `tone` (a 0.5 s 1400 Hz beep, the
 * default) or the absolute path of a .wav or .mp3 file readable by rtpengine on its host (no
 * segment may start with a dot, so no `..` and no hidden files: an API user cannot make
 * rtpengine read outside the directories named); Kazoo media ids are not offered (this product
 * has no media store). `recorded`: whether
 * the notice is in the file (default false: the parties are muted while it plays, so that
 * stretch is silence).
 */
export const ANNOUNCE_TONE = 'tone';
const ANNOUNCE_MEDIA_PATTERN = '^(tone|(/[^/.][^/]*)+\\.(wav|mp3))$';
export const Announce = Type.Object(
  {
    media: Type.Optional(Type.String({ pattern: ANNOUNCE_MEDIA_PATTERN, maxLength: 1024, description: '"tone", or the absolute path of a .wav or .mp3 file on the rtpengine host' })),
    recorded: Type.Optional(Type.Boolean({ description: 'Whether the notice is in the recording (default false)' })),
  },
  { additionalProperties: false },
);
export type Announce = Static<typeof Announce>;

/**
 * One set of recording parameters (call_recording.parameters.json). No defaults are declared in
 * the schema on purpose: an absent key must stay absent so that less specific settings (the
 * user's under a device's, `any` under a network) can fill it; the resolver applies the defaults.
 */
export const RecordingSettings = Type.Object(
  {
    announce: Type.Optional(Announce),
    enabled: Type.Optional(Type.Boolean({ description: 'is recording enabled' })),
    format: Type.Optional(RecordingFormat),
    record_min_sec: Type.Optional(
      Type.Integer({ description: 'Minimum length, in seconds, for the recording to be kept' }),
    ),
    record_on_answer: Type.Optional(Type.Boolean({ description: 'Recording should start on answer' })),
    record_on_bridge: Type.Optional(Type.Boolean({ description: 'Recording should start on bridge' })),
    record_sample_rate: Type.Optional(Type.Integer({ description: 'Sampling rate of the recording' })),
    time_limit: Type.Optional(TimeLimit()),
    url: Type.Optional(Url()),
  },
  { additionalProperties: false },
);
export type RecordingSettings = Static<typeof RecordingSettings>;

/** Settings keyed by the network of the other party (call_recording.source.json). */
export const RecordingNetworks = Type.Object(
  {
    any: Type.Optional(RecordingSettings),
    onnet: Type.Optional(RecordingSettings),
    offnet: Type.Optional(RecordingSettings),
  },
  { additionalProperties: false },
);
export type RecordingNetworks = Static<typeof RecordingNetworks>;

/**
 * The `call_recording` object of a user or a device (call_recording.json). Kazoo allows `any`
 * at both levels: `any` direction and `any` network, used where the specific key is absent.
 */
export const CallRecording = Type.Object(
  {
    any: Type.Optional(RecordingNetworks),
    inbound: Type.Optional(RecordingNetworks),
    outbound: Type.Optional(RecordingNetworks),
  },
  { additionalProperties: false },
);
export type CallRecording = Static<typeof CallRecording>;

/**
 * The `call_recording` object of an account (accounts.json): `account` holds the account's own
 * rules (one recording per call, the spec's "Account" tables); `endpoint` holds defaults for
 * every user and device of the account, under their own settings.
 */
export const AccountCallRecording = Type.Object(
  {
    account: Type.Optional(CallRecording),
    endpoint: Type.Optional(CallRecording),
    pause_mode: Type.Optional(PauseMode),
  },
  { additionalProperties: false },
);
export type AccountCallRecording = Static<typeof AccountCallRecording>;

/**
 * Data of the `record_call` callflow action (callflows.record_call.json). Kazoo's schema leaves
 * additionalProperties open (true) and requires `action`, which has a default of "start"; with
 * defaults applied before the check (Value.Default) an absent action becomes "start".
 */
export const RecordCallAction = Type.Object(
  {
    announce: Type.Optional(Announce),
    action: Type.Union(RECORD_CALL_ACTIONS.map((a) => Type.Literal(a)), {
      default: 'start',
      description: 'Whether to start or stop the recording, or pause / resume the call\'s recordings',
    }),
    format: Type.Optional(RecordingFormat),
    label: Type.Optional(Type.String({ description: 'Label to include in the origin of call recording' })),
    media_name: Type.Optional(Type.String({ description: 'the name of media' })),
    method: Type.Optional(Type.Union([Type.Literal('put'), Type.Literal('post')], { default: 'put' })),
    origin: Type.Optional(Type.String({ description: 'How the recording was started - read-only' })),
    record_min_sec: Type.Optional(Type.Integer()),
    record_on_answer: Type.Optional(Type.Boolean({ default: false })),
    record_on_bridge: Type.Optional(Type.Boolean({ default: false })),
    record_sample_rate: Type.Optional(Type.Integer()),
    should_follow_transfer: Type.Optional(Type.Boolean({ default: true })),
    skip_module: Type.Optional(Type.Boolean()),
    time_limit: Type.Optional(TimeLimit({ default: TIME_LIMIT_DEFAULT })),
    url: Type.Optional(Url()),
  },
  { additionalProperties: true },
);
export type RecordCallAction = Static<typeof RecordCallAction>;

/** Data of the `record_caller` callflow action (callflows.record_caller.json). */
export const RecordCallerAction = Type.Object(
  {
    format: Type.Optional(RecordingFormat),
    method: Type.Optional(Type.Union([Type.Literal('put'), Type.Literal('post')], { default: 'put' })),
    skip_module: Type.Optional(Type.Boolean()),
    terminators: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9*#]$' }), {
      uniqueItems: true,
      description: 'The keys that end the recording (default: any, as Kazoo); [] for none',
    })),
    time_limit: Type.Optional(TimeLimit({ default: TIME_LIMIT_DEFAULT })),
    url: Type.Optional(Url()),
  },
  { additionalProperties: true },
);
export type RecordCallerAction = Static<typeof RecordCallerAction>;
