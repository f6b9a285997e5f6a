import type { CallRecording, RecordingSettings } from './settings-schema';
import { accountBranches, isEnabled, mergeLayers, slotSettings } from './lookup';
import { resolveSettings } from './resolve-settings';
import {
  CallDirection,
  Network,
  RecordingKind,
  RecordingSource,
  RecordingStart,
  type EndpointDocs,
  type PlannedRecording,
  type PolicyInput,
  type RecordingDefaults,
} from './types';

/**
 * Origin strings exactly as Kazoo writes them into the recording's metadata:
 * kz_account_recording.erl (ACCOUNT_INBOUND_RECORDING_LABEL / ACCOUNT_OUTBOUND_RECORDING_LABEL)
 * and kz_endpoint_recording.erl (maybe_record_inbound / ENDPOINT_OUTBOUND_RECORDING_LABEL).
 */
export const origins = {
  accountInbound: (from: Network): string => `inbound from ${from} to account`,
  accountOutbound: (to: Network): string => `outbound to ${to} from account`,
  endpointInbound: (from: Network): string => `inbound from ${from} to endpoint`,
  endpointOutbound: (to: Network): string => `outbound to ${to} from endpoint`,
} as const;

export class PolicyInputError extends Error {
  readonly code = 'POLICY_BAD_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'PolicyInputError';
  }
}

function asNetwork(v: string, what: string): Network {
  if (v === Network.Onnet || v === Network.Offnet) return v;
  throw new PolicyInputError(`${what} must be "onnet" or "offnet", got ${JSON.stringify(v)}`);
}

/**
 * The recordings a call must start, in a stable order: the account's (at most one), the
 * caller's endpoint, the callee's endpoint. The account is considered independently of the
 * endpoints, so two or three recordings can result, each with its own settings and file.
 */
export function recordingsForCall(input: PolicyInput): PlannedRecording[] {
  const from = asNetwork(input.direction.caller, 'direction.caller');
  const to = asNetwork(input.direction.callee, 'direction.callee');
  const branches = accountBranches(input.account);
  const out: PlannedRecording[] = [];
  const account = accountRecording(input.account.id, branches.account, from, to, input.defaults);
  if (account !== undefined) out.push(account);
  // Only an onnet caller has an endpoint of ours whose outbound settings can apply
  // (cf_route_win.erl maybe_start_endpoint_recording: offnet callers are skipped).
  if (from === Network.Onnet && input.callerEndpoint !== undefined) {
    const r = endpointRecording(input, branches.endpoint, input.callerEndpoint, 'caller', CallDirection.Outbound, to);
    if (r !== undefined) out.push(r);
  }
  // Only an onnet callee is an endpoint being rung; a trunk has no call_recording.
  if (to === Network.Onnet && input.calleeEndpoint !== undefined) {
    const r = endpointRecording(input, branches.endpoint, input.calleeEndpoint, 'callee', CallDirection.Inbound, from);
    if (r !== undefined) out.push(r);
  }
  return out;
}

/**
 * The account's rule (cf_route_win.erl maybe_start_account_recording/3): inbound keyed by the
 * caller's network first; only when that slot is not enabled, outbound keyed by the callee's
 * network. "If inbound -> X isn't configured" in the spec is read as Kazoo reads it: a slot that
 * is absent, or present without `enabled: true`, lets the outbound slot decide.
 */
export function accountRecording(
  accountId: string,
  cr: CallRecording | undefined,
  from: Network,
  to: Network,
  defaults?: Partial<RecordingDefaults>,
): PlannedRecording | undefined {
  const inbound = slotSettings(cr, CallDirection.Inbound, from);
  if (isEnabled(inbound)) {
    return plan(RecordingKind.Account, origins.accountInbound(from), RecordingSource.Account, CallDirection.Inbound, from, accountId, inbound, defaults);
  }
  const outbound = slotSettings(cr, CallDirection.Outbound, to);
  if (isEnabled(outbound)) {
    return plan(RecordingKind.Account, origins.accountOutbound(to), RecordingSource.Account, CallDirection.Outbound, to, accountId, outbound, defaults);
  }
  return undefined;
}

interface Level {
  source: RecordingSource;
  settings: RecordingSettings | undefined;
}

/**
 * An endpoint's rule: the caller's outbound slot keyed by the callee's network, the callee's
 * inbound slot keyed by the caller's network (kz_endpoint_recording.erl). The slot is looked up
 * on the device, the user and the account's `endpoint` defaults; `enabled` is taken from the most
 * specific of them that defines it (Device > User: a device's explicit false wins, a device that
 * says nothing defers to its user), and the other keys are merged key by key with the same
 * precedence (kz_endpoint_v5.erl merge_attribute(call_recording): merge([Account, User, Device])).
 */
function endpointRecording(
  input: PolicyInput,
  accountEndpointDefaults: CallRecording | undefined,
  ep: EndpointDocs,
  role: 'caller' | 'callee',
  direction: CallDirection,
  network: Network,
): PlannedRecording | undefined {
  const levels: Level[] = [
    { source: RecordingSource.Account, settings: slotSettings(accountEndpointDefaults, direction, network) },
    { source: RecordingSource.User, settings: slotSettings(ep.user?.call_recording, direction, network) },
    { source: RecordingSource.Device, settings: slotSettings(ep.device?.call_recording, direction, network) },
  ];
  const decider = [...levels].reverse().find((l) => l.settings?.enabled !== undefined);
  if (decider === undefined || !isEnabled(decider.settings)) return undefined;
  const merged = mergeLayers(levels.map((l) => l.settings));
  const origin = direction === CallDirection.Inbound ? origins.endpointInbound(network) : origins.endpointOutbound(network);
  const r = plan(RecordingKind.Endpoint, origin, decider.source, direction, network, input.account.id, merged, input.defaults);
  r.role = role;
  const endpointId = ep.device?.id ?? ep.user?.id;
  if (endpointId !== undefined) r.endpointId = endpointId;
  const ownerId = ep.device?.owner_id ?? ep.user?.id;
  if (ownerId !== undefined) r.ownerId = ownerId;
  if (direction === CallDirection.Inbound) {
    // Kazoo starts a callee's inbound endpoint recording as an Execute-On-Answer action on that
    // endpoint's leg (kz_endpoint_recording.erl maybe_record_inbound): nothing is recorded while
    // it rings, and of several endpoints rung only the one answering records.
    r.settings.record_on_answer = true;
    r.settings.start = RecordingStart.Answer;
  }
  return r;
}

function plan(
  kind: RecordingKind,
  origin: string,
  source: RecordingSource,
  direction: CallDirection,
  network: Network,
  accountId: string,
  settings: RecordingSettings | undefined,
  defaults: Partial<RecordingDefaults> | undefined,
): PlannedRecording {
  return { kind, origin, source, direction, network, accountId, settings: resolveSettings(settings ?? {}, defaults) };
}
