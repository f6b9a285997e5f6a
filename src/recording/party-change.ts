import type { Logger } from 'pino';
import type { Call, TransferredParty } from '../calls';
import { RecordingState, type RecordingHandle, type StopReason } from '../recorder';
import { describeStep, diffPolicy, midcallSteps, transferDiff, unfollowed, type MidcallStep, type PolicyDiff } from './midcall';
import { planRecordings, type PlanInput, type RecordingItem } from './plan';

/**
 * The call's recordings when a party changes after routing: the callflow went on to another
 * callee (reroute), or a transfer replaced a party. Decisions are midcall.ts's (pure); this
 * applies them to the CallRecorder's recordings through a narrow host.
 */

export interface PartyEntry {
  item: RecordingItem;
  rec: RecordingHandle;
}

export interface PartyChangeHost<E extends PartyEntry> {
  readonly call: Call;
  readonly log: Logger;
  /** The plan's input; undefined before set-up planned. */
  input(): PlanInput | undefined;
  /** The plan's input from now on (the new callee). */
  replan(input: PlanInput): void;
  /** Whether recordings may still be added or ended (idle or recording). */
  isOpen(): boolean;
  /** Recordings pending or running. */
  live(): E[];
  /** Removes a never-begun recording from the call's list. */
  forget(e: E): void;
  startItems(items: readonly RecordingItem[]): Promise<void>;
  applySteps(steps: readonly MidcallStep[]): Promise<void>;
  /** Whether the call's recordings are paused now. */
  paused(): boolean;
}

export class PartyChanges<E extends PartyEntry> {
  constructor(private readonly h: PartyChangeHost<E>) {}

  /**
   * A transfer: what does not follow it ends; a blind transfer of the callee is planned as a
   * reroute to the new callee, any other ends the leaving party's endpoint recordings. What ends
   * ends when the media was re-pointed (`who.at`), not when the event came.
   */
  async onTransferred(side: 'caller' | 'callee', who: TransferredParty): Promise<void> {
    await this.swap({ drop: unfollowed(this.h.live()), add: [] }, 'transferred', who.at);
    if (side === 'callee' && !who.attended) {
      await this.onRerouted(who.at);
      return;
    }
    // The caller's side, or an attended transfer: a blind transfer's new party gets its own
    // endpoint recordings (an attended one's party already has them in its other call).
    const input = this.h.input();
    if (!input || !this.h.isOpen()) return;
    const fresh = who.callee && !who.attended ? planRecordings({ ...input, callee: who.callee, actions: [] }) : [];
    await this.swap(transferDiff(this.h.live(), side, fresh), 'rerouted', who.at);
  }

  /**
   * The callflow continues with another callee (Kazoo's `_` after a failed device/user/
   * resources). The policy is planned again for the new callee: recordings both plans share go
   * on, those of the failed callee end (not begun: dropped; running: stopped and delivered), the
   * new callee's are added. Then the record nodes met on the way are applied in order.
   */
  async onRerouted(at?: number): Promise<void> {
    const decision = this.h.call.decision;
    const input = this.h.input();
    if (!decision?.callee || !input || !this.h.isOpen()) return;
    const next: PlanInput = { ...input, callee: decision.callee, actions: [] };
    this.h.replan(next);
    await this.swap(diffPolicy(this.h.live(), planRecordings(next)), 'rerouted', at);
    const sources = new Set(this.h.live().map((e) => e.item.source));
    const steps = midcallSteps(decision.actions, sources, (a) => planRecordings({ ...next, actions: [a] }), this.h.paused());
    if (steps.length > 0) this.h.log.info({ steps: steps.map(describeStep) }, 'callflow record actions after reroute');
    await this.h.applySteps(steps);
  }

  /**
   * Ends what `diff` drops (not begun: removed; running: stopped at `at`, default now, and
   * delivered), starts what it adds.
   */
  private async swap(diff: PolicyDiff<E>, reason: StopReason, at?: number): Promise<void> {
    for (const e of diff.drop) {
      if (e.rec.state === RecordingState.Pending) {
        this.h.forget(e);
        void e.rec.stop('replaced');
      } else {
        void e.rec.stop(reason, at === undefined ? 0 : Date.now() - at);
      }
    }
    if (diff.add.length > 0) await this.h.startItems(diff.add);
  }
}
