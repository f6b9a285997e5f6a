import type { AccountCallRecording, CallRecording, HttpMethod, RecordingFormat } from './settings-schema';

/** Where a party sits: on the platform (a registered device/user) or outside it (a trunk). */
export enum Network {
  Onnet = 'onnet',
  Offnet = 'offnet',
}

/** Which branch of a `call_recording` object applies: calls to the owner, or calls from it. */
export enum CallDirection {
  Inbound = 'inbound',
  Outbound = 'outbound',
}

/** Whose settings turned the recording on (the most specific document defining `enabled`). */
export enum RecordingSource {
  Account = 'account',
  User = 'user',
  Device = 'device',
}

/** Account recordings follow the account's rules; endpoint ones follow a user's/device's. */
export enum RecordingKind {
  Account = 'account',
  Endpoint = 'endpoint',
  Callflow = 'callflow',
}

/** When the recorder starts taking audio (Kazoo: record_on_answer wins over record_on_bridge). */
export enum RecordingStart {
  Now = 'now',
  Answer = 'answer',
  Bridge = 'bridge',
}

export interface DeviceDoc {
  id: string;
  owner_id?: string;
  call_recording?: CallRecording;
}

export interface UserDoc {
  id: string;
  call_recording?: CallRecording;
}

/** One side of the call as call control knows it: the device used and/or the user owning it. */
export interface EndpointDocs {
  device?: DeviceDoc;
  user?: UserDoc;
}

export interface AccountDoc {
  id: string;
  /**
   * Kazoo's shape is `{account, endpoint}` (accounts.json). A plain `{inbound, outbound, any}`
   * object is also accepted and read as the `account` branch.
   */
  call_recording?: AccountCallRecording | CallRecording;
}

export interface PolicyInput {
  direction: { caller: Network | `${Network}`; callee: Network | `${Network}` };
  account: AccountDoc;
  /** The calling device/user; only consulted when the caller is onnet. */
  callerEndpoint?: EndpointDocs;
  /** The called device/user; only consulted when the callee is onnet. */
  calleeEndpoint?: EndpointDocs;
  /** System-wide defaults (static configuration); unset fields take Kazoo's. */
  defaults?: Partial<RecordingDefaults>;
}

/**
 * System defaults, the counterparts of Kazoo's system_config values: media
 * call_recording_extension (mp3), ecallmgr record_stereo_sample_rate (16000) and
 * record_sample_rate (8000), media max_recording_time_limit, media record_min_sec (0).
 */
export interface RecordingDefaults {
  format: RecordingFormat;
  stereo: boolean;
  stereoSampleRate: number;
  monoSampleRate: number;
  timeLimit: number;
  maxTimeLimit: number;
  recordMinSec: number;
  method: HttpMethod;
}

/** Settings with every default filled in: what the recorder and delivery act on. */
export interface ResolvedRecordingSettings {
  format: RecordingFormat;
  /** Two channels, left = caller, right = callee; false mixes both into one channel. */
  stereo: boolean;
  record_sample_rate: number;
  /** Seconds; capped at the maximum (10800). */
  time_limit: number;
  /** Seconds; a shorter recording is deleted and counted, never uploaded. */
  record_min_sec: number;
  record_on_answer: boolean;
  record_on_bridge: boolean;
  start: RecordingStart;
  /** Absent: no upload target configured (delivery keeps it locally / per its config). */
  url?: string;
  method: HttpMethod;
  /** File name to use, with the format's extension; absent: the recorder names it. */
  media_name?: string;
  /** Whether the recording follows the call across a transfer (Kazoo: only record_call sets true). */
  follow_transfer: boolean;
  /** Notice of recording played to both parties when it begins; `media` is `tone` or a file path. */
  announce?: { media: string; recorded: boolean };
}

/** One recording the call must start. */
export interface PlannedRecording {
  kind: RecordingKind;
  /** Kazoo's origin string, e.g. "inbound from offnet to account", "callflow : sales". */
  origin: string;
  source: RecordingSource;
  /** The `call_recording` branch used. */
  direction: CallDirection;
  /** The network key used: the caller's for inbound, the callee's for outbound. */
  network: Network;
  /** Which leg's endpoint the recording belongs to (endpoint recordings only). */
  role?: 'caller' | 'callee';
  accountId: string;
  /** The device's id, or the user's when no device is known (endpoint recordings only). */
  endpointId?: string;
  /** The user owning the endpoint, when known. */
  ownerId?: string;
  settings: ResolvedRecordingSettings;
}
