import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { CallMedia, type MediaServer, type Side } from '../media';
import type { Metrics } from '../metrics';
import { callerOf } from '../signalling/auth/invite-auth';
import { CallerKind, classifyDirection } from '../signalling/direction';
import { backendUnavailable } from '../signalling/errors';
import { Call, CallState, HangupBy, type CallEnd } from './call';
import { runAnswerFirst, type AnswerFirstPort } from './answer-first';
import { EarlyMedia } from './early-media';
import { CallError, CalleeFailedError, CallerCancelledError, MediaFailedError, NoAnswerError, NoRouteError } from './errors';
import { Fork } from './fork';
import { HangupCause, causeOfStatus, outcomeOf } from './hangup';
import { allowsFailover, bestFailure, TargetKind, type Target } from './plan';
import { calleeSrtpMode } from './srtp-mode';
import type { CallRecords } from './record';
import { relayLeg, type RelayHooks } from './relay';
import { releaseDialog, Transfer, type TransferResult } from './transfer';
import { attendedTransfer, legToward } from './attended';
import { callerParty, targetParty } from './parties';
import { dialledNumbers, type Router } from './router';
import { bLegHeaders, fromTagOf, maxForwardsOf, userOf } from './b-leg-headers';

/**
 * The B2BUA proper. For each admitted INVITE (signalling's authenticateInvite ran first and
 * bound the caller): route, anchor the caller's offer in rtpengine, ring the stages' targets
 * with that offer, put the winner's answer through rtpengine, answer the caller, then relay
 * in-dialog offers and BYEs until one side ends the call.
 */

export interface B2buaSettings {
  noAnswerTimeoutSec: number;
}

export interface B2buaDeps {
  srf: Srf;
  router: Router;
  media: MediaServer;
  settings: B2buaSettings;
  logger: Logger;
  metrics?: Metrics;
  records?: CallRecords;
  /** Where answer-first steps (record_caller) record the caller; without it they are skipped. */
  answerFirst?: AnswerFirstPort;
}

export interface B2buaEvents {
  /** A new call; attach to its events (answered/bridged/ended) here. */
  call: [Call];
}

export class B2bua extends EventEmitter<B2buaEvents> {
  private readonly calls = new Map<string, Call>();
  private closing: Promise<void> | undefined;

  constructor(private readonly d: B2buaDeps) {
    super();
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  call(callId: string): Call | undefined {
    return this.calls.get(callId);
  }

  /** The calls in progress (the channels API lists them). */
  callList(): Call[] {
    return [...this.calls.values()];
  }

  /** Installs the INVITE handler (after signalling's authenticateInvite middleware). */
  mount(): void {
    // A REFER in a call's dialog reaches that dialog; one here matched none. With a To-tag it
    // names a dialog that does not exist (RFC 3261 12.2.2: 481); without one it would open a
    // transfer outside any call, which the product does not do (RFC 3515 2.4.2 lets it refuse).
    this.d.srf.use('refer', (req, res) => {
      let tag: unknown;
      try {
        tag = req.getParsedHeader('To').params?.tag;
      } catch { /* no usable To: treated as out of dialog */ }
      res.send(typeof tag === 'string' && tag !== '' ? 481 : 403);
    });
    this.d.srf.invite((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.d.logger.error({ err, callId: req.get('Call-ID') }, 'call handling failed');
        if (!res.finalResponseSent) res.send(500);
      });
    });
  }

  async handle(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const caller = callerOf(req);
    if (!caller) {
      // Only reachable when the auth middleware was not installed: never route an unknown source.
      res.send(403);
      return;
    }
    if (this.closing) {
      res.send(503);
      return;
    }
    if (maxForwardsOf(req) <= 0) {
      res.send(483);
      return;
    }
    const callId = req.get('Call-ID');
    const log = this.d.logger.child({ callId, accountId: caller.account.id });
    const call = new Call(callId, caller, log, {
      noAnswerMs: this.d.settings.noAnswerTimeoutSec * 1000,
      onNoAnswer: () => fail(new NoAnswerError(this.d.settings.noAnswerTimeoutSec)),
    });
    this.track(call, req);

    const fail = (err: unknown, by: HangupBy = HangupBy.System): void => {
      if (call.ended) return;
      const status = err instanceof CallError ? err.sipStatus : backendUnavailable(err) ? 503 : 500;
      if (!(err instanceof CallError)) log.error({ err }, 'call failed');
      else log.info({ code: err.code, status, msg: err.message }, 'call not connected');
      if (!res.finalResponseSent) res.send(status);
      const cause = err instanceof NoAnswerError ? HangupCause.NoAnswer
        : err instanceof MediaFailedError ? HangupCause.MediaTimeout : causeOfStatus(status);
      void call.close({ cause, by, status: call.uas ? undefined : status });
    };

    let cancelledByCaller = false;
    // Whatever ends an unanswered call (shutdown, media failure) owes the caller a final answer.
    call.onClose(() => {
      if (!cancelledByCaller && !res.finalResponseSent) res.send(call.end?.status ?? 500);
    });
    req.on('cancel', () => {
      // The engine already answered 200 to the CANCEL and 487 to the INVITE (RFC 3261 9.2).
      cancelledByCaller = true;
      void call.close({ cause: HangupCause.OriginatorCancel, by: HangupBy.Caller, status: 487 });
    });

    try {
      const decision = await this.d.router.route(caller, dialledNumbers(req.uri, req.has('To') ? req.get('To') : undefined), log);
      call.decision = decision;
      if (decision.callee) call.direction = classifyDirection(caller, decision.callee);
      log.info({ direction: call.direction?.label, number: decision.number, callee: decision.callee?.kind, stages: decision.stages.length, answerFirst: decision.answerFirst.length }, 'call routed');
      call.emit('routed', call);
      if (call.ended) return;

      const media = new CallMedia(this.d.media, callId, fromTagOf(req), log, calleeSrtpMode(decision.callee));
      call.media = media;
      media.on('failed', (err) => fail(new MediaFailedError(err)));
      // rtpengine refusing the offer (ports exhausted, instance down) is the service's failure:
      // 503 lets the caller retry elsewhere (RFC 3261 21.5.4).
      const anchored = await media.offerFromCaller(req.body).catch((err: unknown) => { throw new MediaFailedError(err); });
      if (call.ended) return;
      const offer = await this.answerFirst(call, req, res, anchored);
      if (offer === undefined || call.ended) return;
      if (decision.stages.length === 0) {
        // The flow ended in its answer-first steps: hang up on the caller (cf_record_caller
        // without a child); when none could run, nothing answers the number.
        if (!call.uas) throw new NoRouteError(decision.number, 'the callflow ends after record_caller');
        await call.close({ cause: HangupCause.NormalClearing, by: HangupBy.System });
        return;
      }
      call.moveTo(CallState.Ringing);

      const early = new EarlyMedia(call, res);
      const won = await this.ringWithFallback(call, req, res, offer, early);
      if (!won) return;
      const { dialog: uac, target } = won;
      if (call.ended) {
        uac.destroy();
        return;
      }
      call.uac = uac;
      call.answeredTarget = target;
      // An early-media answer still in flight in rtpengine must not overtake the final one.
      await early.settled();
      this.bindLeg(call, uac, 'callee');
      // A caller answered before ringing keeps its rtpengine side: the callee's answer goes in
      // under the tag that side already has, so the caller's session does not change.
      const answeredEarly = call.uas !== undefined;
      const sdpForCaller = await media.answerFromCallee(uac.remote.sdp, (answeredEarly ? media.calleeTag : undefined) ?? uac.sip.remoteTag)
        .catch((err: unknown) => { throw new MediaFailedError(err); });
      call.emit('answered', call);
      if (call.ended) return;
      const uas = call.uas ?? this.bindCaller(call, await this.d.srf.createUAS(req, res, { localSdp: sdpForCaller }));
      if (!uas) return;
      call.moveTo(CallState.Answered);
      call.parties.join(callerParty(caller, userOf(call.fromHeader), call.startedAt.getTime()));
      call.parties.join(targetParty('callee', 'call', target, call.decision?.number, Date.now(), call.decision?.callee));
      const tlog = log.child({ part: 'transfer' });
      const transfer = new Transfer(call, {
        srf: this.d.srf, router: this.d.router, headers: bLegHeaders(req, caller),
        ringTimeoutMs: this.d.settings.noAnswerTimeoutSec * 1000,
        attended: (side, from, r, rs) => attendedTransfer({ call, side, from, req: r, res: rs, calls: this.calls.values(), log: tlog }),
      }, tlog);
      const hooks: RelayHooks = {
        legs: () => ({ caller: legToward(call, 'caller'), callee: legToward(call, 'callee') }),
        onRenegotiated: (side) => call.emit('renegotiated', call, side),
        onDigit: (side, digit) => call.emit('dtmf', call, side, digit),
        onFatal: (err) => fail(new MediaFailedError(err)),
        onRefer: (side, dialog, referReq, referRes) => {
          // The transferor leaves once told the transfer succeeded (RFC 5589 section 6.1).
          void transfer.refer(side, dialog, referReq, referRes, (won) => this.bridgeTransfer(call, side, won, hooks))
            .then((won) => { if (won) releaseDialog(dialog, log); }, (err: unknown) => log.error({ err }, 'transfer failed'));
        },
      };
      relayLeg(uas, 'caller', media, log, hooks);
      relayLeg(uac, 'callee', media, log, hooks);
      log.info({ target: target.uri }, 'call bridged');
      call.emit('bridged', call);
    } catch (err) {
      fail(err);
    }
  }

  /** Runs the decision's answer-first steps (record_caller): the offer to ring with next, undefined when the call ended. */
  private answerFirst(call: Call, req: Srf.SrfRequest, res: Srf.SrfResponse, offer: string): Promise<string | undefined> {
    return runAnswerFirst(call, this.d.answerFirst, offer, async (localSdp) => {
      const uas = await this.d.srf.createUAS(req, res, { localSdp });
      return this.bindCaller(call, uas);
    });
  }

  /** The caller's dialog joins the call; undefined (and BYE) when the call ended meanwhile. */
  private bindCaller(call: Call, uas: Srf.Dialog): Srf.Dialog | undefined {
    call.uas = uas;
    if (call.ended) {
      uas.destroy();
      return undefined;
    }
    this.bindLeg(call, uas, 'caller');
    return uas;
  }

  /** A BYE on a leg the call holds ends the call (not on a leg a transfer released). */
  private bindLeg(call: Call, d: Srf.Dialog, side: Side): void {
    d.on('destroy', () => {
      if ((side === 'caller' ? call.uas : call.uac) !== d) return;
      void call.close({ cause: HangupCause.NormalClearing, by: side === 'caller' ? HangupBy.Caller : HangupBy.Callee }, d);
    });
  }

  /**
   * A transfer's new party answered: rtpengine's side of the transferor is re-pointed at it (its
   * SDP offered from the transferor's tag, the remaining party re-INVITEd with the result, its
   * answer back to rtpengine) and the new dialog takes the transferor's place. Tags are
   * unchanged, so the recording fork goes on into the same file.
   */
  private async bridgeTransfer(call: Call, side: Side, won: TransferResult, hooks: RelayHooks): Promise<void> {
    const media = call.media;
    const remaining = legToward(call, side === 'caller' ? 'callee' : 'caller');
    const old = side === 'caller' ? call.uas : call.uac;
    if (!media || !remaining || !old || call.ended) throw new CallerCancelledError();
    // The new party's media reaches the fork from the re-offer on: the party change dates from it.
    const at = Date.now();
    const toRemaining = await media.reoffer(side, won.dialog.remote.sdp);
    const answer = await remaining.modify(toRemaining);
    await media.reanswer(side, answer);
    if (side === 'caller') call.uas = won.dialog;
    else {
      call.uac = won.dialog;
      call.answeredTarget = won.target;
      if (won.decision.callee) {
        call.decision = won.decision;
        call.direction = classifyDirection(call.caller, won.decision.callee);
      }
    }
    this.bindLeg(call, won.dialog, side);
    relayLeg(won.dialog, side, media, call.log, hooks);
    call.log.info({ from: side, target: won.target.uri }, 'transfer completed: new party bridged');
    call.parties.leave(side, at);
    call.parties.join(targetParty(side, 'transfer', won.target, won.decision.number, at, won.decision.callee));
    call.emit('transferred', call, side, { attended: false, at, ...(won.decision.callee ? { callee: won.decision.callee } : {}) });
  }

  /**
   * Rings the decision; when every target failed and the callflow continues (Kazoo's child `_`
   * of the device/user/resources node), rings what it continues with. Direction follows the
   * callee actually rung.
   */
  private async ringWithFallback(call: Call, req: Srf.SrfRequest, res: Srf.SrfResponse, offer: string, early: EarlyMedia): Promise<{ dialog: Srf.Dialog; target: Target } | undefined> {
    let ringOffer = offer;
    for (;;) {
      try {
        return await this.ring(call, req, res, ringOffer, early);
      } catch (err) {
        const current = call.decision;
        if (!(err instanceof CalleeFailedError) || call.ended || !current) throw err;
        const next = await this.d.router.fallback(current, call.log);
        if (!next || (!next.callee && next.answerFirst.length === 0)) throw err;
        call.decision = next;
        if (next.callee) call.direction = classifyDirection(call.caller, next.callee);
        call.log.info({ status: err.sipStatus, callee: next.callee?.kind, answerFirst: next.answerFirst.length, direction: call.direction?.label }, 'callflow continues after failure');
        call.emit('rerouted', call);
        if (call.ended) return undefined;
        // record_caller in the continuation (voicemail on no answer: device -> `_` -> record_caller)
        // runs as at the head of a flow: Kazoo's cf_record_caller answers, records the caller
        // alone, then continues to its child or, without one, the call ends.
        if (next.answerFirst.length > 0) {
          if (call.uas) {
            call.log.warn('record_caller after a failure with the caller already answered: skipped');
          } else {
            const after = await this.answerFirst(call, req, res, ringOffer);
            if (after === undefined || call.ended) return undefined;
            ringOffer = after;
          }
          if (next.stages.length === 0) {
            // Nothing ran (refused without URL): the caller gets the failure, as Kazoo's flow ends.
            if (!call.uas) throw err;
            await call.close({ cause: HangupCause.NormalClearing, by: HangupBy.System });
            return undefined;
          }
          if (call.state === CallState.CallerAnswered) call.moveTo(CallState.Ringing);
        }
      }
    }
  }

  /** Rings each stage in turn; resolves with the winner, or undefined once the call failed. */
  private async ring(call: Call, req: Srf.SrfRequest, res: Srf.SrfResponse, offer: string, early: EarlyMedia): Promise<{ dialog: Srf.Dialog; target: Target } | undefined> {
    const decision = call.decision;
    if (!decision) return undefined;
    const statuses: number[] = [];
    const headers = bLegHeaders(req, call.caller);
    let ringingSent = false;
    for (const stage of decision.stages) {
      const fork = new Fork(this.d.srf, {
        targets: stage.targets,
        sdp: offer,
        headers,
        timeoutMs: (stage.timeoutSec ?? 0) * 1000,
        onProvisional: (status, _target, prov) => {
          early.provisional(prov);
          // Ringing is relayed once, as a bare 180, unless early media already reaches the caller.
          if (status >= 180 && !early.active && !ringingSent && !res.finalResponseSent && !call.ended) {
            ringingSent = true;
            res.send(180);
          }
        },
      }, call.log.child({ stage: stage.targets[0]?.kind === TargetKind.Resource ? stage.targets[0].gateway : 'devices' }));
      call.cancelRinging = () => fork.cancel();
      const out = await fork.start();
      call.cancelRinging = undefined;
      if (out.answered) return { dialog: out.dialog, target: out.target };
      if (call.ended) return undefined;
      const stageStatuses = out.timedOut && out.statuses.length === 0 ? [408] : out.statuses.map((s) => (out.timedOut && s === 487 ? 408 : s));
      statuses.push(...stageStatuses);
      if (!stage.failover || !stageStatuses.every(allowsFailover)) break;
      call.log.info({ statuses: stageStatuses }, 'trunk failed, failing over');
    }
    const status = bestFailure(statuses);
    throw new CalleeFailedError(status, `all targets failed (${statuses.join(',') || 'none'})`);
  }

  private track(call: Call, req: Srf.SrfRequest): void {
    this.calls.set(call.callId, call);
    this.d.metrics?.activeCalls.inc();
    const from = req.has('From') ? req.get('From') : '';
    const to = req.has('To') ? req.get('To') : '';
    call.fromHeader = from;
    call.toHeader = to;
    call.once('ended', (_c: Call, end: CallEnd) => {
      this.calls.delete(call.callId);
      this.d.metrics?.activeCalls.dec();
      const dir = call.direction;
      this.d.metrics?.callsTotal.inc({
        caller: call.caller.kind === CallerKind.Device ? 'onnet' : 'offnet',
        callee: dir?.callee ?? 'onnet',
        outcome: outcomeOf(end.cause, call.answeredAt !== undefined),
      });
      call.log.info({ cause: end.cause, by: end.by, answered: call.answeredAt !== undefined }, 'call ended');
      void this.d.records?.write(call, end, from, to);
    });
    this.emit('call', call);
  }

  /** Ends every call (service shutdown). Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.calls.values()].map((c) => c.close({ cause: HangupCause.SystemShutdown, by: HangupBy.System, status: 503 }))).then(() => undefined);
    return this.closing;
  }
}
