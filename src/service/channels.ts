import type { ChannelSource, MetaflowRefusal, MetaflowStep } from '../api/routes/channels';
import { HangupBy, HangupCause, type B2bua, type Call } from '../calls';
import type { MidcallRefusal, RecordingView, Recordings } from '../recording';
import { CallerKind } from '../signalling/direction';
import type { JsonObject } from '../store';

/**
 * The channels API's view of the calls in progress: joins the B2BUA (which calls run) and the
 * recording part (each call's recorder), and runs metaflows on a call. A call belongs to the
 * account that routes it and to the caller's account (a trunk's account sees the calls its
 * carrier sends in), as Kazoo lists a channel under its Account-ID.
 */

/** Seconds between 0000-01-01 and 1970-01-01: Kazoo's timestamps are Gregorian seconds. */
const GREGORIAN_OFFSET = 62_167_219_200;

export function gregorianSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000) + GREGORIAN_OFFSET;
}

export function callBelongsTo(call: Call, accountId: string): boolean {
  return call.accountId === accountId || call.caller.account.id === accountId;
}

/**
 * Pure: the channel object of a call, in the field names of Kazoo's channel listing (uuid,
 * answered, authorizing_id/_type, owner_id, username, presence_id, destination, other_leg,
 * timestamp) plus this product's `call_direction` (onnet/offnet on each side), `state` and the
 * call's `recordings`. `direction` is the caller's leg as the switch sees it: inbound.
 */
export function channelView(call: Call, recordings: readonly RecordingView[]): JsonObject {
  const c = call.caller;
  const username = c.kind === CallerKind.Device ? c.device.sip.username : undefined;
  const realm = c.kind === CallerKind.Device ? (c.device.sip.realm ?? c.account.realm) : undefined;
  const ownerId = c.kind === CallerKind.Device ? (c.owner?.id ?? c.device.owner_id) : undefined;
  return {
    uuid: call.callId,
    answered: call.answeredAt !== undefined,
    state: call.state,
    direction: 'inbound',
    call_direction: call.direction?.label ?? null,
    authorizing_type: c.kind === CallerKind.Device ? 'device' : 'resource',
    authorizing_id: c.kind === CallerKind.Device ? c.device.id : c.resource.id,
    ...(ownerId !== undefined ? { owner_id: ownerId } : {}),
    ...(username !== undefined ? { username, presence_id: `${username}@${realm ?? ''}` } : {}),
    destination: call.decision?.number ?? null,
    other_leg: call.uac?.sip.callId ?? null,
    timestamp: gregorianSeconds(call.startedAt),
    recordings: recordings.map((r) => ({ source: r.source, origin: r.origin, ...(r.label !== undefined ? { label: r.label } : {}), format: r.format, state: r.state, paused: r.paused })),
  };
}

/**
 * Ends the call without holding the request for the BYEs (Kazoo answers 202 and acts later).
 * A call still ringing gets 480 for its INVITE, as when nobody answers.
 */
function hangUp(call: Call): void {
  void call.close({ cause: HangupCause.NormalClearing, by: HangupBy.System, ...(call.answeredAt ? {} : { status: 480 }) });
}

/**
 * Runs metaflow steps on a call (the channels API and in-call feature codes): false when the
 * call's recordings are over, the refusal when a record_call action contradicts their state.
 */
export async function runMetaflow(call: Call, recordings: Recordings | undefined, steps: readonly MetaflowStep[]): Promise<boolean | MetaflowRefusal> {
  let pending: MetaflowStep[] = [];
  const flush = async (): Promise<boolean | MetaflowRefusal> => {
    if (pending.length === 0) return true;
    const recorder = recordings?.recorderOf(call.callId);
    const done = recorder ? await recorder.apply(pending) : undefined;
    pending = [];
    const refusal = done?.find((s) => s.kind === 'refuse');
    if (refusal?.kind === 'refuse') return { refused: refusal.code, message: REFUSAL_MESSAGES[refusal.code] };
    return done !== undefined;
  };
  for (const step of steps) {
    if (step.module === 'record_call') {
      pending.push(step);
      continue;
    }
    const flushed = await flush();
    if (flushed !== true) return flushed;
    if (step.module === 'hangup') {
      hangUp(call);
      return true;
    }
  }
  return flush();
}

const REFUSAL_MESSAGES: Record<MidcallRefusal, string> = {
  RECORDING_ALREADY_PAUSED: 'the call\'s recordings are already paused',
  RECORDING_NOT_PAUSED: 'the call\'s recordings are not paused',
  RECORDING_NOT_ACTIVE: 'nothing is being recorded on this call',
};

export class ServiceChannels implements ChannelSource {
  constructor(private readonly b2bua: B2bua, private readonly recordings: Recordings | undefined) {}

  /** By the caller's Call-ID, or by the B leg's (Kazoo lists both legs as channels). */
  private find(accountId: string, callId: string): Call | undefined {
    const call = this.b2bua.call(callId) ?? this.b2bua.callList().find((c) => c.uac?.sip.callId === callId);
    return call && !call.ended && callBelongsTo(call, accountId) ? call : undefined;
  }

  private view(call: Call): JsonObject {
    return channelView(call, this.recordings?.recorderOf(call.callId)?.views() ?? []);
  }

  list(accountId: string): JsonObject[] {
    return this.b2bua.callList().filter((c) => !c.ended && callBelongsTo(c, accountId)).map((c) => this.view(c));
  }

  get(accountId: string, callId: string): JsonObject | undefined {
    const call = this.find(accountId, callId);
    return call ? this.view(call) : undefined;
  }

  /**
   * konami's metaflow execution, for the modules offered: record_call actions go to the call's
   * recorder in order (consecutive ones together; a refused pause / resume applies none of them
   * and ends the walk with the refusal); hangup ends the call and the walk.
   */
  async metaflow(accountId: string, callId: string, steps: readonly MetaflowStep[]): Promise<boolean | MetaflowRefusal> {
    const call = this.find(accountId, callId);
    if (!call) return false;
    return runMetaflow(call, this.recordings, steps);
  }

  async hangup(accountId: string, callId: string): Promise<boolean> {
    const call = this.find(accountId, callId);
    if (!call) return false;
    hangUp(call);
    return true;
  }
}
