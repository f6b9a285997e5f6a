import {
  CallDirection, RecordingKind, RecordingStart, recordingsForCall, resolveRecordCall, resolveRecordCaller,
  type AccountDoc, type EndpointDocs, type PlannedRecording, type RecordingDefaults, type ResolvedRecordingSettings,
} from '../policy';
import type { AccountInfo, DeviceInfo, UserInfo } from '../directory/types';
import { CalleeKind, CallerKind, Network, type Callee, type Caller } from '../signalling/direction';

/**
 * Pure: what a call must record, from what call control knows once it is routed. Joins the
 * policy (account and endpoint settings) with the callflow's record_call / record_caller
 * actions, in flow order, into one list the per-call controller acts on.
 */

/** What the controller does with one planned item. */
export interface RecordingItem {
  /** account / endpoint / callflow (record_call) / caller (record_caller). */
  source: 'account' | 'endpoint' | 'callflow' | 'caller';
  origin: string;
  label?: string;
  direction: CallDirection;
  /** The user owning the endpoint, when known (Kazoo's owner_id in the upload parameters). */
  ownerId?: string;
  settings: ResolvedRecordingSettings;
  /** record_caller: the caller alone, ended by one of these RFC 4733 digits. */
  callerOnly: boolean;
  terminators: readonly string[];
}

export interface PlanInput {
  callId: string;
  caller: Caller;
  callee: Callee;
  /** The account whose callflow or trunks route the call (its call_recording applies). */
  account: AccountInfo;
  actions: readonly { module: string; data: Record<string, unknown> }[];
  callflowName?: string;
  callflowId?: string;
  defaults?: Partial<RecordingDefaults>;
}

function deviceDoc(d: DeviceInfo): NonNullable<EndpointDocs['device']> {
  return { id: d.id, ...(d.owner_id !== undefined ? { owner_id: d.owner_id } : {}), ...(d.call_recording ? { call_recording: d.call_recording } : {}) };
}

function userDoc(u: UserInfo): NonNullable<EndpointDocs['user']> {
  return { id: u.id, ...(u.call_recording ? { call_recording: u.call_recording } : {}) };
}

export function callerEndpoint(c: Caller): EndpointDocs | undefined {
  if (c.kind !== CallerKind.Device) return undefined;
  return { device: deviceDoc(c.device), ...(c.owner ? { user: userDoc(c.owner) } : {}) };
}

export function calleeEndpoint(c: Callee): EndpointDocs | undefined {
  switch (c.kind) {
    case CalleeKind.Device: return { device: deviceDoc(c.device), ...(c.owner ? { user: userDoc(c.owner) } : {}) };
    case CalleeKind.User: return { user: userDoc(c.user) };
    case CalleeKind.Resource: return undefined;
  }
}

/** Kazoo reports a callflow recording's direction from the caller's side. */
function callflowDirection(caller: Caller): CallDirection {
  return caller.kind === CallerKind.Device ? CallDirection.Outbound : CallDirection.Inbound;
}

function fromPolicy(p: PlannedRecording): RecordingItem {
  return {
    source: p.kind === RecordingKind.Account ? 'account' : 'endpoint',
    origin: p.origin,
    direction: p.direction,
    ...(p.ownerId !== undefined ? { ownerId: p.ownerId } : {}),
    settings: p.settings,
    callerOnly: false,
    terminators: [],
  };
}

/**
 * Policy recordings first (account, caller's endpoint, callee's endpoint), then the callflow
 * actions in the order the flow meets them. A record_call `stop` removes the record_call
 * recordings planned before it (cf_record_call's stop ends the recording that flow started);
 * record_caller without a usable URL is skipped, as Kazoo moves on to the next module.
 */
export function planRecordings(input: PlanInput): RecordingItem[] {
  const callerNet = input.caller.kind === CallerKind.Device ? Network.Onnet : Network.Offnet;
  const calleeNet = input.callee.kind === CalleeKind.Resource ? Network.Offnet : Network.Onnet;
  const account: AccountDoc = { id: input.account.id, ...(input.account.call_recording ? { call_recording: input.account.call_recording } : {}) };
  const ce = callerEndpoint(input.caller);
  const ee = calleeEndpoint(input.callee);
  const items = recordingsForCall({
    direction: { caller: callerNet, callee: calleeNet },
    account,
    ...(ce ? { callerEndpoint: ce } : {}),
    ...(ee ? { calleeEndpoint: ee } : {}),
    ...(input.defaults ? { defaults: input.defaults } : {}),
  }).map(fromPolicy);
  const ctx = {
    ...(input.callflowName !== undefined ? { callflowName: input.callflowName } : {}),
    ...(input.callflowId !== undefined ? { callflowId: input.callflowId } : {}),
    ...(input.defaults ? { defaults: input.defaults } : {}),
  };
  let out = items;
  for (const a of input.actions) {
    if (a.module === 'record_call') {
      const d = resolveRecordCall(a.data, ctx);
      if (d.action === 'stop') {
        out = out.filter((i) => i.source !== 'callflow');
        continue;
      }
      out.push({
        source: 'callflow', origin: d.origin, label: d.label, direction: callflowDirection(input.caller),
        settings: d.settings, callerOnly: false, terminators: [],
      });
    } else if (a.module === 'record_caller') {
      const d = resolveRecordCaller(a.data, input.callId, ctx);
      if (d.action === 'skip') continue;
      out.push({
        source: 'caller', origin: 'callflow : record_caller', direction: callflowDirection(input.caller),
        // The B2BUA answers the caller when the callee answers, so the caller's audio starts then.
        settings: { ...d.settings, start: RecordingStart.Answer },
        callerOnly: true, terminators: d.terminators,
      });
    }
  }
  return out;
}
