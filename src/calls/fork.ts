import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Target } from './plan';

/**
 * Rings a set of targets in parallel through drachtio-srf UAC legs: the first 2xx wins, every
 * other pending INVITE is CANCELled (RFC 3261 9.1), and a second 2xx that crossed the CANCEL is
 * acknowledged and then ended with BYE (RFC 3261 13.2.2.4: a UAC receiving several 2xx must
 * ACK each, and may BYE the ones it does not want).
 */

export interface ForkRequest {
  targets: readonly Target[];
  /** The SDP offer every target receives (rtpengine's offer for the B side). */
  sdp: string;
  headers: Record<string, string>;
  /** 0: no own bound (the call's timer bounds it). */
  timeoutMs: number;
  /** Provisional responses (180/183) of any fork, for relaying to the caller. */
  onProvisional?: (status: number, target: Target, res: Srf.SrfResponse) => void;
}

export type ForkOutcome =
  | { answered: true; dialog: Srf.Dialog; target: Target }
  | { answered: false; statuses: number[]; timedOut: boolean; cancelled: boolean };

interface Branch {
  target: Target;
  req?: Srf.SrfRequest;
  cancelWanted: boolean;
  settled: boolean;
}

function statusOf(err: unknown): number {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : 500;
}

export class Fork {
  private readonly branches: Branch[];
  private winner: Srf.Dialog | undefined;
  private readonly statuses: number[] = [];
  private timedOut = false;
  private cancelled = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveOutcome!: (o: ForkOutcome) => void;
  readonly outcome: Promise<ForkOutcome>;

  constructor(private readonly srf: Srf, private readonly r: ForkRequest, private readonly log: Logger) {
    this.branches = r.targets.map((target) => ({ target, cancelWanted: false, settled: false }));
    this.outcome = new Promise((resolve) => { this.resolveOutcome = resolve; });
  }

  /** Sends every INVITE; `outcome` settles once one answered or all failed. */
  start(): Promise<ForkOutcome> {
    if (this.branches.length === 0) {
      this.resolveOutcome({ answered: false, statuses: [], timedOut: false, cancelled: false });
      return this.outcome;
    }
    if (this.r.timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.log.info({ timeoutMs: this.r.timeoutMs }, 'fork timed out');
        this.cancelPending();
      }, this.r.timeoutMs);
    }
    for (const b of this.branches) this.launch(b);
    return this.outcome;
  }

  /** The caller went away (CANCEL) or the call is closing: cancel every pending leg. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.cancelPending();
  }

  private launch(b: Branch): void {
    const opts: Srf.CreateUACOptions = { localSdp: this.r.sdp, headers: { ...this.r.headers } };
    if (b.target.proxy) opts.proxy = b.target.proxy;
    if (b.target.route) opts.headers = { ...opts.headers, Route: b.target.route };
    this.srf.createUAC(b.target.uri, opts, {
      // drachtio-srf calls cbRequest(err, req) although its typings say cbRequest(req).
      cbRequest: ((err: unknown, req?: Srf.SrfRequest) => {
        if (err || !req) return;
        b.req = req;
        if (b.cancelWanted) this.sendCancel(b);
      }) as unknown as (req: Srf.SrfRequest) => void,
      cbProvisional: (res: Srf.SrfResponse) => {
        if (!this.winner && !this.cancelled) this.r.onProvisional?.(res.status, b.target, res);
      },
    }).then((dialog) => {
      b.settled = true;
      if (this.winner || this.cancelled || this.timedOut) {
        // Crossed our CANCEL (or lost the race): RFC 3261 13.2.2.4, ACK (srf did) then BYE.
        this.log.info({ uri: b.target.uri }, 'late 2xx on a cancelled fork: BYE');
        dialog.destroy();
        this.finishIfDone();
        return;
      }
      this.winner = dialog;
      this.log.info({ uri: b.target.uri }, 'fork answered');
      this.cancelPending();
      this.finish({ answered: true, dialog, target: b.target });
    }, (err: unknown) => {
      b.settled = true;
      const status = statusOf(err);
      this.statuses.push(status);
      this.log.info({ uri: b.target.uri, status }, 'fork failed');
      this.finishIfDone();
    });
  }

  private cancelPending(): void {
    for (const b of this.branches) {
      if (b.settled || b.cancelWanted) continue;
      b.cancelWanted = true;
      if (b.req) this.sendCancel(b);
    }
  }

  private sendCancel(b: Branch): void {
    // RFC 3261 9.1: a CANCEL before any provisional response must wait for one; the engine's
    // client transaction takes care of that ordering.
    b.req?.cancel((err: unknown) => {
      if (err) this.log.debug({ err, uri: b.target.uri }, 'CANCEL not sent');
    });
  }

  private finishIfDone(): void {
    if (this.winner) return;
    if (this.branches.every((b) => b.settled)) {
      this.finish({ answered: false, statuses: [...this.statuses], timedOut: this.timedOut, cancelled: this.cancelled });
    }
  }

  private finish(o: ForkOutcome): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.resolveOutcome(o);
  }
}
