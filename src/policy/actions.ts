import type { RecordCallAction, RecordCallerAction } from './settings-schema';
import { isHttpUrl } from './settings-schema';
import { mediaNameWithExtension, mergeDefaults, resolveFormat, resolveSettings } from './resolve-settings';
import { RecordingStart, type RecordingDefaults, type ResolvedRecordingSettings } from './types';

/** What call control knows about the callflow running the action. */
export interface ActionContext {
  /** The callflow's name (Kazoo's `cf_flow_name`), used when the action has no label. */
  callflowName?: string;
  callflowId?: string;
  defaults?: Partial<RecordingDefaults>;
}

export type RecordCallDecision =
  | { action: 'start'; origin: string; label: string; settings: ResolvedRecordingSettings }
  | { action: 'stop' }
  /** Pause / resume every recording of the call (not a recording of its own). */
  | { action: 'pause' }
  | { action: 'resume' };

/**
 * `record_call` data -> what to do (cf_record_call.erl handle/2). The origin is
 * "callflow : <label>", the label defaulting to the callflow's name. Any action other than
 * "stop" starts (get_action/1), except this product's pause and resume. A start keeps following the call across transfers unless
 * should_follow_transfer is false (Kazoo's default true for this action only).
 */
export function resolveRecordCall(data: Partial<RecordCallAction>, ctx: ActionContext = {}): RecordCallDecision {
  if (data.action === 'stop' || data.action === 'pause' || data.action === 'resume') return { action: data.action };
  const label = nonEmpty(data.label) ?? nonEmpty(ctx.callflowName) ?? nonEmpty(ctx.callflowId) ?? 'record_call';
  const settings = resolveSettings(
    {
      format: data.format,
      record_min_sec: data.record_min_sec,
      record_on_answer: data.record_on_answer,
      record_on_bridge: data.record_on_bridge,
      record_sample_rate: data.record_sample_rate,
      time_limit: data.time_limit,
      url: data.url,
      method: data.method,
      media_name: data.media_name,
      follow_transfer: data.should_follow_transfer ?? true,
      ...(data.announce !== undefined ? { announce: data.announce } : {}),
    },
    ctx.defaults,
  );
  return { action: 'start', origin: `callflow : ${label}`, label, settings };
}

export type RecordCallerDecision =
  | { action: 'record'; settings: ResolvedRecordingSettings; terminators: readonly string[] }
  | { action: 'skip'; reason: 'no_url' };

/**
 * `record_caller` stops on the caller pressing one of these keys, besides hang-up and the time
 * limit: any digit, as Kazoo's cf_record_caller passes ?ANY_DIGIT (0-9, *, #) to b_record.
 * The action's `terminators` (not in Kazoo's record_caller schema; named after its `play`
 * module's) narrows them, e.g. `["#"]`; `[]` lets only the time limit and hang-up end it.
 */
export const RECORD_CALLER_TERMINATORS: readonly string[] = Object.freeze(['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']);

/**
 * `record_caller` data -> what to do (cf_record_caller.erl). Without a usable http(s) URL
 * Kazoo records nothing and moves on to the next callflow module ("skip"). Otherwise it answers
 * the call and records the caller's audio alone: one channel, so the mono default rate applies;
 * the media is named after the call-id with the format's extension (get_media_name/2).
 */
export function resolveRecordCaller(
  data: Partial<RecordCallerAction>,
  callId: string,
  ctx: ActionContext = {},
): RecordCallerDecision {
  if (data.url === undefined || !isHttpUrl(data.url)) return { action: 'skip', reason: 'no_url' };
  const d = mergeDefaults(ctx.defaults);
  const format = resolveFormat(data.format, d);
  const settings: ResolvedRecordingSettings = {
    ...resolveSettings({ format, url: data.url, method: data.method, time_limit: data.time_limit, stereo: false }, ctx.defaults),
    media_name: mediaNameWithExtension(callId, format),
    start: RecordingStart.Now,
  };
  return { action: 'record', settings, terminators: data.terminators ?? RECORD_CALLER_TERMINATORS };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.length > 0 ? s : undefined;
}
