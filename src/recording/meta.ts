import type { RecordingMediaInfo, RecordingMeta, RecordingParty } from '../delivery';
import type { RecordingResult } from '../recorder';
import type { RecordingItem } from './plan';

/** The call's facts a recording's metadata carries (Kazoo's upload query parameters). */
export interface CallFacts {
  accountId: string;
  callId: string;
  /** user@host of the SIP From / To. */
  from?: string;
  to?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  calleeIdNumber?: string;
  /** The parties the call reached until the recording ended (transfers add some). */
  parties?: RecordingParty[];
}

/** user@host from a From/To header value (display name, angle brackets and parameters dropped). */
export function addressOf(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const inner = /<([^>]*)>/.exec(header)?.[1] ?? header.split(';')[0];
  const m = /^\s*(?:sips?|tel):([^;?]*)/i.exec(inner);
  return m ? m[1] : undefined;
}

/** The display name of a From/To header value, if any. */
export function displayNameOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*"([^"]*)"/.exec(header) ?? /^\s*([^<"]+?)\s*</.exec(header);
  const name = m?.[1].trim();
  return name ? name : undefined;
}

/**
 * Pure: the delivery metadata of a finished recording. `startedAt` is when the recording began
 * (not the call), `durationMs` what the file holds; the URL and method come from the settings.
 */
export function recordingMeta(call: CallFacts, item: RecordingItem, result: RecordingResult, media?: RecordingMediaInfo): RecordingMeta {
  return {
    accountId: call.accountId,
    callId: call.callId,
    origin: item.origin,
    ...(item.label !== undefined ? { label: item.label } : {}),
    ...(call.from !== undefined ? { from: call.from } : {}),
    ...(call.to !== undefined ? { to: call.to } : {}),
    ...(call.callerIdName !== undefined ? { callerIdName: call.callerIdName } : {}),
    ...(call.callerIdNumber !== undefined ? { callerIdNumber: call.callerIdNumber } : {}),
    ...(call.calleeIdNumber !== undefined ? { calleeIdNumber: call.calleeIdNumber } : {}),
    ...(item.ownerId !== undefined ? { ownerId: item.ownerId } : {}),
    direction: item.direction,
    startedAt: result.startedAt ?? result.endedAt,
    durationMs: Math.round(result.durationSec * 1000),
    format: result.format,
    sampleRate: result.sampleRate,
    url: item.settings.url ?? '',
    method: item.settings.method,
    ...(media ? { media } : {}),
    ...(result.paused.length > 0 ? { paused: result.paused.map((p) => ({ ...p })) } : {}),
    ...(call.parties && call.parties.length > 0 ? { parties: call.parties.map((p) => ({ ...p })) } : {}),
  };
}

/**
 * Pure: a call's facts from its SIP From / To header values (the caller's INVITE), the
 * account and the dialled number.
 */
export function factsFromHeaders(accountId: string, callId: string, fromHeader: string, toHeader: string, dialled?: string): CallFacts {
  const from = addressOf(fromHeader);
  const to = addressOf(toHeader);
  const name = displayNameOf(fromHeader);
  const callee = dialled ?? to?.split('@')[0];
  return {
    accountId, callId,
    ...(from !== undefined ? { from, callerIdNumber: from.split('@')[0] } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(name !== undefined ? { callerIdName: name } : {}),
    ...(callee !== undefined ? { calleeIdNumber: callee } : {}),
  };
}
