import type { Logger } from 'pino';
import type { DeliveryQueue } from '../delivery';

/**
 * Graceful shutdown (SIGTERM): stop admitting calls, let the ones in progress finish up to a
 * drain time, hang up what remains, give uploads in flight or due soon a short grace, then
 * close every part.
 * A recording never depends on the grace: closing the service finalizes every recording into
 * the durable delivery queue, which is replayed at the next start.
 */

export enum ShutdownState {
  Running = 'running',
  /** New INVITEs get 503; calls in progress continue. */
  Draining = 'draining',
  /** Remaining calls hung up; queued uploads get their grace. */
  Flushing = 'flushing',
  /** Every part is being closed. */
  Closing = 'closing',
  Done = 'done',
}

const MOVES: Record<ShutdownState, readonly ShutdownState[]> = {
  [ShutdownState.Running]: [ShutdownState.Draining],
  [ShutdownState.Draining]: [ShutdownState.Flushing],
  [ShutdownState.Flushing]: [ShutdownState.Closing],
  [ShutdownState.Closing]: [ShutdownState.Done],
  [ShutdownState.Done]: [],
};

export class ShutdownStateError extends Error {
  readonly code = 'shutdown_state';
  constructor(readonly from: ShutdownState, readonly to: ShutdownState) {
    super(`shutdown cannot move from ${from} to ${to}`);
    this.name = 'ShutdownStateError';
  }
}

/** What the shutdown needs from the service; closures so parts started later are seen. */
export interface ShutdownTarget {
  /** Calls in progress. */
  activeCalls(): number;
  /** Uploads in flight or due at or before `epochMs` (the end of the grace), 0 without delivery. */
  uploadsDue(epochMs: number): number;
  /** Recordings queued but not yet delivered (pending + uploading), 0 without delivery. */
  uploadsQueued(): number;
  /** Hangs up every call (BYE / 503 on both legs); resolves when they are ended. */
  hangUpAll(): Promise<void>;
  /** Closes every part (recordings finalized into the durable queue first). */
  closeAll(): Promise<void>;
  /** New INVITEs refused because the node drains (service/admission.ts answers them). */
  refusedInvites(): number;
}

/** The shutdown's view of a delivery queue (looked up at each call: the queue starts later). */
export function queueUploads(queue: () => Pick<DeliveryQueue, 'dueBy' | 'depth'> | undefined): Pick<ShutdownTarget, 'uploadsDue' | 'uploadsQueued'> {
  return {
    uploadsDue: (epochMs) => queue()?.dueBy(epochMs) ?? 0,
    uploadsQueued: () => {
      const d = queue()?.depth();
      return d ? d.pending + d.uploading : 0;
    },
  };
}

export interface ShutdownSettings {
  drainSec: number;
  uploadGraceSec: number;
  /** How often the drain conditions are looked at (ms). */
  pollMs?: number;
}

/** Optional observer (metrics). */
export interface ShutdownObserver {
  state?(s: ShutdownState): void;
}

export interface ShutdownReport {
  reason: string;
  /** Calls still up when the drain time ran out (hung up by us). */
  callsCut: number;
  /** Uploads still queued when the grace ended (kept in the spool for the next start), due or not. */
  uploadsLeftQueued: number;
  rejectedInvites: number;
}

export class GracefulShutdown {
  private stateValue = ShutdownState.Running;
  private running: Promise<ShutdownReport> | undefined;

  constructor(
    private readonly target: ShutdownTarget,
    private readonly settings: ShutdownSettings,
    private readonly log: Logger,
    private readonly observer: ShutdownObserver = {},
  ) {}

  get state(): ShutdownState {
    return this.stateValue;
  }

  /** false once a shutdown began: new calls are refused. */
  get accepting(): boolean {
    return this.stateValue === ShutdownState.Running;
  }

  /** Idempotent: every call returns the same promise. */
  run(reason: string): Promise<ShutdownReport> {
    this.running ??= this.sequence(reason);
    return this.running;
  }

  private to(next: ShutdownState): void {
    if (!MOVES[this.stateValue].includes(next)) throw new ShutdownStateError(this.stateValue, next);
    this.log.info({ from: this.stateValue, to: next }, 'shutdown state');
    this.stateValue = next;
    this.observer.state?.(next);
  }

  private async sequence(reason: string): Promise<ShutdownReport> {
    const s = this.settings;
    this.to(ShutdownState.Draining);
    this.log.info({ reason, activeCalls: this.target.activeCalls(), drainSec: s.drainSec }, 'draining: new calls get 503');
    await this.waitUntil(() => this.target.activeCalls() === 0, s.drainSec * 1000);
    const callsCut = this.target.activeCalls();
    this.to(ShutdownState.Flushing);
    if (callsCut > 0) this.log.warn({ callsCut }, 'drain time over: hanging up the remaining calls');
    try {
      await this.target.hangUpAll();
    } catch (err) {
      this.log.warn({ err }, 'hanging up failed');
    }
    // Only uploads in flight or due within the grace are worth waiting for: one waiting out a
    // backoff past the grace would hold the stop for nothing, and the queue is durable and
    // replayed at the next start. Recordings reach the queue a moment after their call ends
    // (encoder flush); two quiet looks in a row before the queue is judged settled.
    const graceEnd = Date.now() + s.uploadGraceSec * 1000;
    let quiet = 0;
    await this.waitUntil(() => {
      quiet = this.target.uploadsDue(graceEnd) === 0 ? quiet + 1 : 0;
      return quiet >= 2;
    }, s.uploadGraceSec * 1000);
    const uploadsLeftQueued = this.target.uploadsQueued();
    this.to(ShutdownState.Closing);
    await this.target.closeAll();
    this.to(ShutdownState.Done);
    const report = { reason, callsCut, uploadsLeftQueued, rejectedInvites: this.target.refusedInvites() };
    this.log.info(report, 'shutdown complete');
    return report;
  }

  /** Resolves when cond() holds or after limitMs; the only timer this class owns. */
  private waitUntil(cond: () => boolean, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    const poll = this.settings.pollMs ?? 200;
    return new Promise((resolve) => {
      const look = (): void => {
        if (cond() || Date.now() >= deadline) { resolve(); return; }
        setTimeout(look, Math.min(poll, Math.max(1, deadline - Date.now())));
      };
      look();
    });
  }
}
