import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CallMedia } from '../media';
import type { Callee, Caller, Direction } from '../signalling/direction';
import { HangupCause } from './hangup';
import { PartyLog } from './parties';
import type { Target } from './plan';
import type { PeerLeg } from './relay';
import type { RouteDecision } from './router';

/**
 * One B2BUA call: the caller's UAS dialog (A leg), the winning callee UAC dialog (B leg), the
 * media anchored in rtpengine, and the facts a recording or a call record needs. The state
 * machine below is the only place that changes `state` and the only owner of the call's timers.
 */

export enum CallState {
  /** INVITE admitted; choosing the callflow / trunks. */
  Routing = 'routing',
  /** The caller has its 200 before anyone is rung (answer-first steps: record_caller). */
  CallerAnswered = 'caller_answered',
  /** B-leg INVITEs out, no final answer yet. */
  Ringing = 'ringing',
  /** Callee answered and the caller got its 200: both legs up, media flowing. */
  Answered = 'answered',
  /** Tearing down (BYE/CANCEL/delete in flight). */
  Ending = 'ending',
  Ended = 'ended',
}

const MOVES: Record<CallState, readonly CallState[]> = {
  [CallState.Routing]: [CallState.Ringing, CallState.CallerAnswered, CallState.Ending],
  [CallState.CallerAnswered]: [CallState.Ringing, CallState.Ending],
  // Ringing -> CallerAnswered: record_caller in the callflow's continuation after a failed callee.
  [CallState.Ringing]: [CallState.Ringing, CallState.CallerAnswered, CallState.Answered, CallState.Ending],
  [CallState.Answered]: [CallState.Ending],
  [CallState.Ending]: [CallState.Ended],
  [CallState.Ended]: [],
};

/** Pure: whether the state machine allows `from` -> `to`. */
export function canMove(from: CallState, to: CallState): boolean {
  return MOVES[from].includes(to);
}

export class CallStateError extends Error {
  readonly code = 'call_state';
  constructor(readonly from: CallState, readonly to: CallState) {
    super(`call cannot move from ${from} to ${to}`);
    this.name = 'CallStateError';
  }
}

/** Which side ended the call, for the record (Kazoo's `hangup_by` / disposition). */
export enum HangupBy {
  Caller = 'caller',
  Callee = 'callee',
  System = 'system',
}

export interface CallEnd {
  cause: HangupCause;
  by: HangupBy;
  /** The SIP status the caller's INVITE was answered with when the call never connected. */
  status?: number;
}

/** Events the recording part (and metrics, records) attach to without reshaping the call. */
export interface CallEvents {
  /** Routing decided who is called: direction and parties are known. */
  routed: [Call];
  /**
   * The routing module failed and the callflow continues (Kazoo's child `_`): `decision` is now
   * the continuation, whose `actions` are the record nodes met on the way to its routing module.
   */
  rerouted: [Call];
  /** The caller got its 200 before anyone is rung (answer-first steps). */
  callerAnswered: [Call];
  /**
   * A callee branch's early media (183 with SDP) goes through rtpengine to the caller: audio
   * flows both ways before the answer.
   */
  earlyMedia: [Call];
  /** The callee answered (B leg up, rtpengine has both legs). */
  answered: [Call];
  /** The caller has the 200 too: both legs are bridged through rtpengine. */
  bridged: [Call];
  /**
   * A transfer replaced the party on `side` with a new one, under the same rtpengine tags; for
   * a blind transfer of the callee side `decision` is now the route that reached it.
   */
  transferred: [Call, 'caller' | 'callee', TransferredParty];
  /** A party pressed a key, signalled in SIP INFO (RFC 4733 digits come through the fork). */
  dtmf: [Call, 'caller' | 'callee', string];
  /** Hold / resume or any SDP change went through rtpengine. */
  renegotiated: [Call, 'caller' | 'callee'];
  ended: [Call, CallEnd];
}

/** Who a transfer brought in (the recording re-plans its endpoint recordings from it). */
export interface TransferredParty {
  /** The new party as a callee of the policy, when it is one of ours or a trunk number. */
  callee?: Callee;
  /** Attended (Replaces): the new party was already in another call of the B2BUA. */
  attended: boolean;
  /**
   * When the media was re-pointed at the new party (ms since the epoch), before the remaining
   * party's re-INVITE completed: the leaving party's recordings end there, not at the event.
   */
  at?: number;
}

export interface CallTimers {
  /** Bound on Ringing (calls.noAnswerTimeoutSec). */
  noAnswerMs: number;
  onNoAnswer: () => void;
}

export class Call extends EventEmitter<CallEvents> {
  private stateValue = CallState.Routing;
  private noAnswerTimer: NodeJS.Timeout | undefined;
  readonly startedAt = new Date();
  answeredAt: Date | undefined;
  endedAt: Date | undefined;
  end: CallEnd | undefined;
  /** Set by the B2BUA as the call progresses. */
  decision: RouteDecision | undefined;
  direction: Direction | undefined;
  media: CallMedia | undefined;
  uas: Srf.Dialog | undefined;
  uac: Srf.Dialog | undefined;
  answeredTarget: Target | undefined;
  /** After an attended transfer: the call spliced in place of the party on `side` (attended.ts). */
  spliced: { side: 'caller' | 'callee'; peer: PeerLeg } | undefined;
  /** Every party the call reached, in order (recording metadata). */
  readonly parties = new PartyLog();
  /** The caller's INVITE From / To header values (recording metadata, call records). */
  fromHeader = '';
  toHeader = '';
  /** Rings this call's current stage; set while Ringing so close() can cancel it. */
  cancelRinging: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly closers: (() => Promise<void> | void)[] = [];

  constructor(
    readonly callId: string,
    readonly caller: Caller,
    readonly log: Logger,
    private readonly timers: CallTimers,
  ) {
    super();
  }

  get state(): CallState {
    return this.stateValue;
  }

  get callee(): Callee | undefined {
    return this.decision?.callee;
  }

  get accountId(): string {
    return this.decision?.accountId ?? this.caller.account.id;
  }

  /** The single transition function: checks the move, starts and stops the timers. */
  moveTo(next: CallState): void {
    const from = this.stateValue;
    if (!canMove(from, next)) throw new CallStateError(from, next);
    if (from === CallState.Ringing && next !== CallState.Ringing) this.clearNoAnswer();
    this.stateValue = next;
    if (next === CallState.Ringing && from !== CallState.Ringing) {
      this.noAnswerTimer = setTimeout(() => {
        this.noAnswerTimer = undefined;
        this.timers.onNoAnswer();
      }, this.timers.noAnswerMs);
    }
    // The caller's answer time, whichever answer came first (billing starts there, as in Kazoo).
    if (next === CallState.Answered || next === CallState.CallerAnswered) this.answeredAt ??= new Date();
    this.log.debug({ from, to: next }, 'call state');
  }

  private clearNoAnswer(): void {
    if (this.noAnswerTimer) {
      clearTimeout(this.noAnswerTimer);
      this.noAnswerTimer = undefined;
    }
  }

  /** Resources (recording forks, subscriptions) that must end with the call, closed first. */
  onClose(fn: () => Promise<void> | void): void {
    if (this.closing) void Promise.resolve(fn()).catch(() => undefined);
    else this.closers.unshift(fn);
  }

  get ended(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Ends the call once, whatever asked first: cancels ringing legs, sends BYE on every leg
   * still up (except the one that already ended), deletes the media in rtpengine, then emits
   * 'ended'. Idempotent; never rejects.
   */
  close(end: CallEnd, skip?: Srf.Dialog): Promise<void> {
    if (this.closing) return this.closing;
    this.end = end;
    this.moveTo(CallState.Ending);
    this.clearNoAnswer();
    this.log.info({ cause: end.cause, by: end.by, status: end.status }, 'call ending');
    this.closing = (async () => {
      this.cancelRinging?.();
      // The closers run once close() has returned: one that closes a linked call (attended
      // transfer), which closes this one again, then gets `closing` instead of a second close.
      await Promise.resolve();
      for (const fn of this.closers) {
        try {
          await fn();
        } catch (err) {
          this.log.warn({ err }, 'call resource failed to close');
        }
      }
      await Promise.all([this.uas, this.uac].map((d) => (d && d !== skip ? destroyQuietly(d, this.log) : undefined)));
      await this.media?.close();
      this.endedAt = new Date();
      this.moveTo(CallState.Ended);
      this.emit('ended', this, end);
    })();
    return this.closing;
  }
}

/** How long close() waits for a BYE's response before moving on (the transaction still runs). */
const BYE_WAIT_MS = 5000;

/** BYE on a dialog that may already be gone (the far end's BYE can cross ours). */
function destroyQuietly(d: Srf.Dialog, log: Logger): Promise<void> {
  if ((d as Srf.Dialog & { connected?: boolean }).connected === false) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, BYE_WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    try {
      d.destroy(undefined, (err: unknown) => {
        if (err) log.debug({ err }, 'BYE not sent');
        done();
      });
    } catch (err) {
      log.debug({ err }, 'BYE not sent');
      done();
    }
  });
}
