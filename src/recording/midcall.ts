import { CallDirection } from '../policy';
import type { RecordingItem } from './plan';

/**
 * Pure decisions for recording actions that reach a call after it was routed: the record nodes
 * met in the callflow's continuation after a failed routing module (Kazoo's child `_`), and
 * record_call sent from the API as a metaflow (Crossbar's `PUT /channels/{call-id}`, konami's
 * record_call). No I/O: CallRecorder applies the steps.
 */

/** One record action as the callflow or the API gives it. */
export interface MidcallAction {
  module: string;
  data: Record<string, unknown>;
}

export type MidcallStep =
  /** End the running callflow recordings (record_call `stop`): one finalize step each. */
  | { kind: 'stop'; source: 'callflow' }
  /** Start these items (record_call `start`). */
  | { kind: 'start'; items: RecordingItem[] }
  /** Pause / resume every recording of the call (record_call `pause` / `resume`, PCI). */
  | { kind: 'pause' }
  | { kind: 'resume' }
  /** The action contradicts the call's state; a caller asking for it gets this code. */
  | { kind: 'refuse'; code: MidcallRefusal }
  /** Nothing to do, and why. */
  | { kind: 'skip'; module: string; reason: 'already_recording' | 'nothing_planned' | 'unsupported' };

/** Why a pause / resume cannot be done: already paused, not paused, nothing being recorded. */
export type MidcallRefusal = 'RECORDING_ALREADY_PAUSED' | 'RECORDING_NOT_PAUSED' | 'RECORDING_NOT_ACTIVE';

export type RecordCallVerb = 'start' | 'stop' | 'pause' | 'resume';

/**
 * Which action a record_call asks for: konami reads an absent action as start; toggle flips
 * start / stop on whether a callflow recording runs, pause_toggle flips pause / resume on
 * whether the call's recordings are paused; Kazoo's konami `mask` / `unmask` are pause / resume.
 */
export function recordCallAction(data: Record<string, unknown>, callflowRunning: boolean, paused = false): RecordCallVerb {
  const a = data['action'];
  if (a === 'stop' || a === 'pause' || a === 'resume') return a;
  if (a === 'mask') return 'pause';
  if (a === 'unmask') return 'resume';
  if (a === 'toggle') return callflowRunning ? 'stop' : 'start';
  if (a === 'pause_toggle') return paused ? 'resume' : 'pause';
  return 'start';
}

/**
 * The steps for `actions` in order, given which sources have a recording pending or running
 * (`live`). A start is skipped while a recording of its source runs (one callflow recording at
 * a time, as kapps_call keeps one); a stop frees the source for a later start of the same walk.
 * `plan` resolves one start action into items (the planner: settings, origin, URL checks).
 * Pause and resume act on every recording of the call (`paused`: whether they are paused now):
 * pausing twice, resuming what is not paused, or pausing when nothing records is refused.
 * Only record_call acts mid-call: record_caller answers the caller before anyone is rung, which
 * a call already ringing or bridged is past (it is reported `unsupported`).
 */
export function midcallSteps(
  actions: readonly MidcallAction[],
  live: ReadonlySet<RecordingItem['source']>,
  plan: (action: MidcallAction) => RecordingItem[],
  paused = false,
): MidcallStep[] {
  const running = new Set(live);
  const steps: MidcallStep[] = [];
  let isPaused = paused;
  for (const a of actions) {
    if (a.module === 'record_call') {
      const verb = recordCallAction(a.data, running.has('callflow'), isPaused);
      if (verb === 'pause' || verb === 'resume') {
        const refusal: MidcallRefusal | undefined = verb === 'pause'
          ? (isPaused ? 'RECORDING_ALREADY_PAUSED' : running.size === 0 ? 'RECORDING_NOT_ACTIVE' : undefined)
          : (isPaused ? undefined : 'RECORDING_NOT_PAUSED');
        steps.push(refusal ? { kind: 'refuse', code: refusal } : { kind: verb });
        if (!refusal) isPaused = verb === 'pause';
        continue;
      }
      if (verb === 'stop') {
        steps.push({ kind: 'stop', source: 'callflow' });
        running.delete('callflow');
        continue;
      }
      if (running.has('callflow')) {
        steps.push({ kind: 'skip', module: a.module, reason: 'already_recording' });
        continue;
      }
      const items = plan({ module: a.module, data: { ...a.data, action: 'start' } }).filter((i) => i.source === 'callflow');
      if (items.length === 0) {
        steps.push({ kind: 'skip', module: a.module, reason: 'nothing_planned' });
        continue;
      }
      steps.push({ kind: 'start', items });
      running.add('callflow');
    } else {
      steps.push({ kind: 'skip', module: a.module, reason: 'unsupported' });
    }
  }
  return steps;
}

/** One line per step, for the call's log. */
export function describeStep(s: MidcallStep): string {
  if (s.kind === 'start') return `start ${s.items.map((i) => i.origin).join(', ')}`;
  if (s.kind === 'stop') return 'stop callflow recordings';
  if (s.kind === 'pause' || s.kind === 'resume') return `${s.kind} the call's recordings`;
  if (s.kind === 'refuse') return `refuse: ${s.code}`;
  return `skip ${s.module}: ${s.reason}`;
}

/** Identity of a policy item across re-plans: same source, branch, origin and settings. */
export function policyKey(i: RecordingItem): string {
  return JSON.stringify([i.source, i.direction, i.origin, i.ownerId ?? null, i.settings]);
}

export interface PolicyDiff<T> {
  /** Current items the new plan no longer has (they belonged to the failed callee). */
  drop: T[];
  /** Planned items not yet present. */
  add: RecordingItem[];
}

/**
 * After the callflow moved on to another callee, the policy's recordings (account, caller's and
 * callee's endpoints) are planned again for the new callee: what both plans share goes on
 * untouched (the caller's endpoint, usually the account), the rest is dropped or added.
 */
export function diffPolicy<T extends { item: RecordingItem }>(current: readonly T[], planned: readonly RecordingItem[]): PolicyDiff<T> {
  const isPolicy = (i: RecordingItem): boolean => i.source === 'account' || i.source === 'endpoint';
  const have = current.filter((c) => isPolicy(c.item));
  const want = planned.filter(isPolicy);
  const wantKeys = new Set(want.map(policyKey));
  const haveKeys = new Set(have.map((c) => policyKey(c.item)));
  return {
    drop: have.filter((c) => !wantKeys.has(policyKey(c.item))),
    add: want.filter((i) => !haveKeys.has(policyKey(i))),
  };
}

/**
 * Pure: after a transfer replaced the party on `side` (as a call forwarded to another party):
 * the leaving party's endpoint recordings end (the caller's are its outbound ones, the callee's
 * its inbound ones), the new party's inbound endpoint recordings (`newParty`, planned with it as
 * the callee) are added unless one alike runs; the account's recordings go on.
 */
/**
 * The callflow recordings that end at a transfer: a `record_call` start whose
 * `should_follow_transfer` is false (Kazoo's `kzc_recording` stops it when the call is
 * transferred). Account and endpoint recordings are not decided here (`transferDiff`,
 * `diffPolicy`): the B2BUA anchors the call, so the account's goes on.
 */
export function unfollowed<T extends { item: RecordingItem }>(live: readonly T[]): T[] {
  return live.filter((e) => e.item.source === 'callflow' && !e.item.settings.follow_transfer);
}

export function transferDiff<T extends { item: RecordingItem }>(live: readonly T[], side: 'caller' | 'callee', newParty: readonly RecordingItem[]): PolicyDiff<T> {
  const endpoint = (i: RecordingItem, d: CallDirection): boolean => i.source === 'endpoint' && i.direction === d;
  const drop = live.filter((e) => endpoint(e.item, side === 'caller' ? CallDirection.Outbound : CallDirection.Inbound));
  const kept = new Set(live.filter((e) => !drop.includes(e)).map((e) => policyKey(e.item)));
  return { drop, add: newParty.filter((i) => endpoint(i, CallDirection.Inbound) && !kept.has(policyKey(i))) };
}
