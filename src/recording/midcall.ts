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
  /** Nothing to do, and why. */
  | { kind: 'skip'; module: string; reason: 'already_recording' | 'nothing_planned' | 'unsupported' };

/** Which action a record_call asks for: konami reads an absent action as start; toggle flips. */
export function recordCallAction(data: Record<string, unknown>, callflowRunning: boolean): 'start' | 'stop' {
  const a = data['action'];
  if (a === 'stop') return 'stop';
  if (a === 'toggle') return callflowRunning ? 'stop' : 'start';
  return 'start';
}

/**
 * The steps for `actions` in order, given which sources have a recording pending or running
 * (`live`). A start is skipped while a recording of its source runs (one callflow recording at
 * a time, as kapps_call keeps one); a stop frees the source for a later start of the same walk.
 * `plan` resolves one start action into items (the planner: settings, origin, URL checks).
 * Only record_call acts mid-call: record_caller answers the caller before anyone is rung, which
 * a call already ringing or bridged is past (it is reported `unsupported`).
 */
export function midcallSteps(
  actions: readonly MidcallAction[],
  live: ReadonlySet<RecordingItem['source']>,
  plan: (action: MidcallAction) => RecordingItem[],
): MidcallStep[] {
  const running = new Set(live);
  const steps: MidcallStep[] = [];
  for (const a of actions) {
    if (a.module === 'record_call') {
      if (recordCallAction(a.data, running.has('callflow')) === 'stop') {
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
