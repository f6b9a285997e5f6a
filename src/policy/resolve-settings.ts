import type { Announce, HttpMethod, RecordingFormat } from './settings-schema';
import { ANNOUNCE_TONE, TIME_LIMIT_DEFAULT, TIME_LIMIT_MAX, isHttpUrl } from './settings-schema';
import { RecordingStart, type RecordingDefaults, type ResolvedRecordingSettings } from './types';

export const DEFAULT_RECORDING_DEFAULTS: Readonly<RecordingDefaults> = Object.freeze({
  format: 'mp3',
  stereo: true,
  stereoSampleRate: 16000,
  monoSampleRate: 8000,
  timeLimit: TIME_LIMIT_DEFAULT,
  maxTimeLimit: TIME_LIMIT_MAX,
  recordMinSec: 0,
  method: 'put',
});

/**
 * Sample rates the recorder can produce in both formats: the MPEG-1/2/2.5 rates LAME encodes.
 * Kazoo's schema allows any integer; a rate outside this list is moved to the nearest one (the
 * higher on a tie) so that a stored document can never make the encoder fail mid-call.
 */
export const SUPPORTED_SAMPLE_RATES: readonly number[] = Object.freeze([
  8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000,
]);

export function nearestSupportedRate(rate: number): number {
  let best = SUPPORTED_SAMPLE_RATES[0];
  for (const r of SUPPORTED_SAMPLE_RATES) {
    if (Math.abs(r - rate) <= Math.abs(best - rate)) best = r;
  }
  return best;
}

/** Every settings key the resolver reads; a union of what the schemas allow. */
export interface RawRecordingSettings {
  format?: string;
  record_min_sec?: number;
  record_on_answer?: boolean;
  record_on_bridge?: boolean;
  record_sample_rate?: number;
  time_limit?: number;
  url?: string;
  method?: string;
  media_name?: string;
  stereo?: boolean;
  follow_transfer?: boolean;
  announce?: Announce;
}

export function mergeDefaults(over: Partial<RecordingDefaults> | undefined): RecordingDefaults {
  return { ...DEFAULT_RECORDING_DEFAULTS, ...(over ?? {}) };
}

/**
 * Kazoo kapps_call_recording:get_timelimit/2: a limit at or over the maximum becomes the
 * maximum; an absent one takes the default (the spec's 3600; Kazoo itself uses the maximum).
 * A non-positive or non-integer value (only reachable by skipping validation) also takes the default.
 */
export function resolveTimeLimit(value: number | undefined, d: RecordingDefaults): number {
  const max = Math.min(d.maxTimeLimit, TIME_LIMIT_MAX);
  const tl = value !== undefined && Number.isInteger(value) && value > 0 ? value : d.timeLimit;
  return tl < max ? tl : max;
}

/** Kazoo get_format/1: anything but a known format falls back to the configured extension. */
export function resolveFormat(value: string | undefined, d: RecordingDefaults): RecordingFormat {
  return value === 'mp3' || value === 'wav' ? value : d.format;
}

function resolveMethod(value: string | undefined, d: RecordingDefaults): HttpMethod {
  return value === 'put' || value === 'post' ? value : d.method;
}

/**
 * Kazoo kapps_call_recording:get_media_name/2: the name gets ".<ext>" unless it already has
 * exactly that extension.
 */
export function mediaNameWithExtension(name: string, format: RecordingFormat): string {
  return name.toLowerCase().endsWith(`.${format}`) ? name : `${name}.${format}`;
}

/**
 * Fills every default (Kazoo's, or the system's from `defaults`): format mp3; stereo; sample
 * rate 16000 for stereo and 8000 for mono unless set (ecallmgr_call_command get_sample_rate);
 * time limit 3600 capped at 10800; record_min_sec 0 (negative counts as 0); start on answer
 * when record_on_answer, else on bridge when record_on_bridge (kapps_call:start_recording
 * checks answer first); method put.
 */
export function resolveSettings(raw: RawRecordingSettings, defaults?: Partial<RecordingDefaults>): ResolvedRecordingSettings {
  const d = mergeDefaults(defaults);
  const format = resolveFormat(raw.format, d);
  const stereo = raw.stereo ?? d.stereo;
  const rate =
    raw.record_sample_rate !== undefined && Number.isFinite(raw.record_sample_rate)
      ? nearestSupportedRate(raw.record_sample_rate)
      : stereo
        ? d.stereoSampleRate
        : d.monoSampleRate;
  const onAnswer = raw.record_on_answer === true;
  const onBridge = raw.record_on_bridge === true;
  const minSec = raw.record_min_sec !== undefined && Number.isFinite(raw.record_min_sec) ? raw.record_min_sec : d.recordMinSec;
  const out: ResolvedRecordingSettings = {
    format,
    stereo,
    record_sample_rate: rate,
    time_limit: resolveTimeLimit(raw.time_limit, d),
    record_min_sec: Math.max(0, Math.floor(minSec)),
    record_on_answer: onAnswer,
    record_on_bridge: onBridge,
    start: onAnswer ? RecordingStart.Answer : onBridge ? RecordingStart.Bridge : RecordingStart.Now,
    method: resolveMethod(raw.method, d),
    follow_transfer: raw.follow_transfer ?? false,
  };
  // Kazoo only stores to http(s) URLs (kz_json_schema_extensions url_validation); any other value
  // is treated as "no URL" rather than handed to delivery.
  if (raw.url !== undefined && isHttpUrl(raw.url)) out.url = raw.url;
  if (raw.announce !== undefined) out.announce = { media: raw.announce.media ?? ANNOUNCE_TONE, recorded: raw.announce.recorded === true };
  if (raw.media_name !== undefined && raw.media_name.length > 0) out.media_name = mediaNameWithExtension(raw.media_name, format);
  return out;
}
