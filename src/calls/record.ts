import type { Logger } from 'pino';
import type { DocumentStore, JsonObject } from '../store';
import { CalleeKind, CallerKind, type Callee, type Caller } from '../signalling/direction';
import type { Call, CallEnd } from './call';

/**
 * The call record (a CDR) kept in the store's `calls` collection, one document per call,
 * written once when the call has ended. Field names follow Kazoo's CDR where one exists.
 */

function callerParty(c: Caller): JsonObject {
  return c.kind === CallerKind.Device
    ? { type: 'device', network: 'onnet', device_id: c.device.id, ...(c.owner ? { owner_id: c.owner.id } : {}) }
    : { type: 'resource', network: 'offnet', resource_id: c.resource.id, source_address: c.sourceAddress };
}

function calleeParty(c: Callee | undefined): JsonObject | null {
  if (!c) return null;
  switch (c.kind) {
    case CalleeKind.Device: return { type: 'device', network: 'onnet', device_id: c.device.id, ...(c.owner ? { owner_id: c.owner.id } : {}) };
    case CalleeKind.User: return { type: 'user', network: 'onnet', owner_id: c.user.id };
    case CalleeKind.Resource: return { type: 'resource', network: 'offnet', number: c.number };
  }
}

const secs = (d: Date | undefined): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/** Pure: the record body for a finished call. */
export function recordOf(call: Call, end: CallEnd, from: string, to: string): JsonObject {
  const ended = call.endedAt ?? new Date();
  const answered = call.answeredAt;
  return {
    call_id: call.callId,
    direction: call.direction ? call.direction.label : null,
    caller: callerParty(call.caller),
    callee: calleeParty(call.callee),
    from, to,
    dialed_number: call.decision?.number ?? null,
    callflow_id: call.decision?.callflow?.id ?? null,
    answered_target: call.answeredTarget ? call.answeredTarget.uri : null,
    timestamp_start: secs(call.startedAt),
    timestamp_answer: secs(answered),
    timestamp_end: secs(ended),
    duration_seconds: Math.max(0, Math.round((ended.getTime() - call.startedAt.getTime()) / 1000)),
    billing_seconds: answered ? Math.max(0, Math.round((ended.getTime() - answered.getTime()) / 1000)) : 0,
    hangup_cause: end.cause,
    hangup_by: end.by,
    ...(end.status !== undefined ? { sip_status: end.status } : {}),
  };
}

export class CallRecords {
  constructor(private readonly store: DocumentStore, private readonly log: Logger) {}

  /** Writes the record; a store failure is logged, never thrown into call handling. */
  async write(call: Call, end: CallEnd, from: string, to: string): Promise<void> {
    try {
      await this.store.create('calls', call.accountId, recordOf(call, end, from, to));
    } catch (err) {
      this.log.error({ err, callId: call.callId }, 'call record not written');
    }
  }
}
