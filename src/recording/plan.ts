import {
  CallDirection, RecordingKind, recordingsForCall, resolveRecordCall, resolveRecordCaller,
  type ActionContext, type AccountDoc, type EndpointDocs, type PlannedRecording, type RecordingDefaults, type ResolvedRecordingSettings,
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

/** Why a planned recording is not started. */
export enum RefusalReason {
  /**
   * No http(s) URL in its settings (policy or action) and none configured for the system
   * (delivery has no default URL): delivery could never send it, so the file would be kept
   * forever as failed. Kazoo refuses the same case at start ("misconfigured call record
   * (missing url and disabled store_recordings)") when it has no database to store into.
   */
  NoUrl = 'no_url',
  /**
   * The recorder could not open the call's session (no free port in `recorder.portMin..portMax`,
   * no recorder thread up): planned, never started. Counted and logged like no_url, so a call the
   * policy records is never silently left unrecorded.
   */
  RecorderUnavailable = 'recorder_unavailable',
}

/** A recording the policy or the callflow asked for and planning refused. */
export interface RefusedRecording {
  source: RecordingItem['source'];
  origin: string;
  direction: CallDirection;
  reason: RefusalReason;
}

export interface CallPlan {
  /** Recordings to start (each has a URL). */
  items: RecordingItem[];
  /** Recordings asked for but not started, with why (logged once per call and counted). */
  refused: RefusedRecording[];
  /** A record_call `pause` met before routing (and not resumed): the recordings begin paused. */
  paused?: boolean;
}

/** What a paused stretch becomes in the account's recordings (its call_recording.pause_mode). */
export function pauseModeOf(account: AccountInfo): 'silence' | 'omit' {
  return account.call_recording?.['pause_mode'] === 'omit' ? 'omit' : 'silence';
}

/** Kazoo reports a callflow recording's direction from the caller's side. */
export function callflowDirection(caller: Caller): CallDirection {
  return caller.kind === CallerKind.Device ? CallDirection.Outbound : CallDirection.Inbound;
}

/**
 * Pure: the planning rule for a URL. An item whose settings carry no usable URL is refused
 * (RefusalReason.NoUrl); everything else is kept, in order.
 */
export function refuseWithoutUrl(items: readonly RecordingItem[]): CallPlan {
  const out: CallPlan = { items: [], refused: [] };
  for (const i of items) {
    if (i.settings.url !== undefined && i.settings.url !== '') out.items.push(i);
    else out.refused.push({ source: i.source, origin: i.origin, direction: i.direction, reason: RefusalReason.NoUrl });
  }
  return out;
}

/**
 * Policy recordings first (account, caller's endpoint, callee's endpoint), then the callflow's
 * record_call actions in the order the flow meets them. A record_call `stop` removes the
 * record_call recordings planned before it (cf_record_call's stop ends the recording that flow
 * started). record_caller actions are not recordings of the bridged call: they run before the
 * callee is rung (recordCallerSteps, CallerPhase) and are left out here. Recordings
 * without a URL are refused (refuseWithoutUrl).
 */
export function planCall(input: PlanInput): CallPlan {
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
  const ctx = actionContext(input);
  let out = items;
  let paused = false;
  for (const a of input.actions) {
    if (a.module !== 'record_call') continue;
    const d = resolveRecordCall(a.data, ctx);
    if (d.action === 'stop') {
      out = out.filter((i) => i.source !== 'callflow');
      continue;
    }
    // Before anything is recorded, pause / resume only decide how the recordings begin.
    if (d.action === 'pause' || d.action === 'resume') {
      paused = d.action === 'pause';
      continue;
    }
    out.push({
      source: 'callflow', origin: d.origin, label: d.label, direction: callflowDirection(input.caller),
      settings: d.settings, callerOnly: false, terminators: [],
    });
  }
  return { ...refuseWithoutUrl(out), ...(paused ? { paused } : {}) };
}

/** The recordings to start for the call (planCall's items). */
export function planRecordings(input: PlanInput): RecordingItem[] {
  return planCall(input).items;
}

function actionContext(input: Pick<PlanInput, 'callflowName' | 'callflowId' | 'defaults'>): ActionContext {
  return {
    ...(input.callflowName !== undefined ? { callflowName: input.callflowName } : {}),
    ...(input.callflowId !== undefined ? { callflowId: input.callflowId } : {}),
    ...(input.defaults ? { defaults: input.defaults } : {}),
  };
}

/**
 * Pure: the record_caller nodes met before the routing module, in flow order, each as the
 * recording it makes (the caller alone, mono, from the moment it is answered) or refused
 * without a URL (Kazoo's cf_record_caller then goes straight on to its child).
 */
export function recordCallerSteps(
  input: Pick<PlanInput, 'callId' | 'caller' | 'actions' | 'callflowName' | 'callflowId' | 'defaults'>,
): CallPlan {
  const ctx = actionContext(input);
  const out: CallPlan = { items: [], refused: [] };
  for (const a of input.actions) {
    if (a.module !== 'record_caller') continue;
    const d = resolveRecordCaller(a.data, input.callId, ctx);
    const base = { source: 'caller' as const, origin: 'callflow : record_caller', direction: callflowDirection(input.caller) };
    if (d.action === 'skip') {
      out.refused.push({ ...base, reason: RefusalReason.NoUrl });
      continue;
    }
    out.items.push({ ...base, settings: d.settings, callerOnly: true, terminators: d.terminators });
  }
  return out;
}
