import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Side } from '../media';
import type { Caller } from '../signalling/direction';
import type { Call } from './call';
import { dialledNumber } from './callflow';
import { CallError } from './errors';
import { Fork } from './fork';
import { bestFailure, type Target } from './plan';
import type { RouteDecision, Router } from './router';

/**
 * Blind transfer (RFC 3515 REFER, RFC 5589 call-transfer flows) of a bridged call, done by the
 * B2BUA itself so the call stays anchored: the REFER is accepted (202), the B2BUA reports
 * progress in NOTIFYs carrying sipfrag (RFC 3420), routes the Refer-To target as a call from
 * the transferor (its account's callflows and trunks), rings it, and on answer re-points the
 * transferor's side in rtpengine at the new party: the new party's SDP goes to rtpengine as
 * an offer from the transferor's tag, the remaining party gets it in a re-INVITE and its
 * answer completes the exchange. The tags stay, so the call's recording fork and file go on.
 * Then the transferor is sent a final NOTIFY (200) and a BYE. A target that cannot be reached
 * gets a final error sipfrag and the call goes on as it was (RFC 5589 section 6.1).
 *
 * A Refer-To with Replaces (attended transfer, RFC 3891) goes to `attended` (attended.ts).
 */

export interface TransferDeps {
  srf: Srf;
  router: Router;
  /** Headers of the INVITE to the new party (the remaining party's identity). */
  headers: Record<string, string>;
  /** Bounds the new party's ringing. */
  ringTimeoutMs: number;
  /** A REFER whose Refer-To carries Replaces: the attended transfer (answers the REFER itself). */
  attended(side: Side, from: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void>;
}

/** A transfer that ended with the new party bridged: who, and the routing decision that reached it. */
export interface TransferResult {
  dialog: Srf.Dialog;
  target: Target;
  decision: RouteDecision;
}

const SIPFRAG = 'message/sipfrag;version=2.0';

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 200: 'OK', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 500: 'Server Internal Error', 503: 'Service Unavailable', 603: 'Decline',
};

/** Pure: the Refer-To URI (angle brackets and header parameters of the URI kept apart), or undefined. */
export function referTarget(value: string): { uri: string; replaces: boolean } | undefined {
  const v = value.trim();
  const m = /<([^>]+)>/.exec(v) ?? /^(\S+)/.exec(v);
  if (!m) return undefined;
  const [uri, query = ''] = m[1].split('?');
  if (!/^(sips?|tel):/i.test(uri)) return undefined;
  return { uri, replaces: /(^|&)replaces=/i.test(query) };
}

/** Pure: the sipfrag body for a status (RFC 3515 section 2.4.5). */
export function sipfrag(status: number): string {
  return `SIP/2.0 ${status} ${REASONS[status] ?? (status < 300 ? 'OK' : 'Failed')}\r\n`;
}

/**
 * The party on `side` as the caller of the transfer it asks for: the call's caller; a called
 * device (its account and owner); a called trunk (Kazoo follows a carrier's REFER too).
 */
export async function transferorOf(router: Router, call: Call, side: Side): Promise<Caller | undefined> {
  if (side === 'caller') return call.caller;
  const t = call.answeredTarget;
  if (t?.deviceId !== undefined) return router.deviceCaller(t.deviceId);
  if (t?.resourceId !== undefined) return router.trunkCaller(call.accountId, t.resourceId, (t.gateway ?? '').split(':')[0]);
  return undefined;
}

export class Transfer {
  constructor(private readonly call: Call, private readonly d: TransferDeps, private readonly log: Logger) {}

  /**
   * Handles one REFER from `side`'s dialog. Resolves with the new party once bridged, or
   * undefined when the transfer failed (the call goes on) or was refused.
   */
  async refer(side: Side, from: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse, bridge: (r: TransferResult) => Promise<void>): Promise<TransferResult | undefined> {
    const target = req.has('Refer-To') ? referTarget(req.get('Refer-To')) : undefined;
    if (!target) {
      res.send(400);
      return undefined;
    }
    if (target.replaces) {
      await this.d.attended(side, from, req, res);
      return undefined;
    }
    const caller = await transferorOf(this.d.router, this.call, side);
    if (!caller || this.call.ended) {
      res.send(603);
      return undefined;
    }
    res.send(202);
    const notify = notifier(from, this.log);
    await notify(100, false);
    this.log.info({ from: side, target: target.uri }, 'blind transfer accepted');
    try {
      const decision = await this.d.router.route(caller, [dialledNumber(target.uri)], this.log);
      if (decision.stages.length === 0) throw new TransferFailed(404);
      const won = { ...await this.ring(decision, this.offerFor(side)), decision };
      try {
        if (this.call.ended) throw new TransferFailed(487);
        await bridge(won);
      } catch (err) {
        releaseDialog(won.dialog, this.log);
        throw err;
      }
      await notify(200, true);
      return won;
    } catch (err) {
      const status = err instanceof CallError ? err.sipStatus : err instanceof TransferFailed ? err.status : 500;
      this.log.info({ status, err: err instanceof CallError || err instanceof TransferFailed ? undefined : err }, 'blind transfer failed; the call goes on');
      await notify(status, true);
      return undefined;
    }
  }

  /** The SDP the transferor's side of rtpengine gave the transferor: what the new party is offered. */
  private offerFor(side: Side): string {
    const leg = side === 'caller' ? this.call.uas : this.call.uac;
    return leg?.local.sdp ?? '';
  }

  private async ring(decision: RouteDecision, sdp: string): Promise<{ dialog: Srf.Dialog; target: Target }> {
    const statuses: number[] = [];
    for (const stage of decision.stages) {
      const fork = new Fork(this.d.srf, { targets: stage.targets, sdp, headers: this.d.headers, timeoutMs: (stage.timeoutSec ?? 0) * 1000 || this.d.ringTimeoutMs }, this.log);
      const stop = (): void => fork.cancel();
      this.call.once('ended', stop);
      const out = await fork.start();
      this.call.off('ended', stop);
      if (out.answered) return { dialog: out.dialog, target: out.target };
      statuses.push(...(out.statuses.length > 0 ? out.statuses : [408]));
      if (!stage.failover || this.call.ended) break;
    }
    throw new TransferFailed(bestFailure(statuses));
  }
}

/** NOTIFY with sipfrag in the REFER's implicit subscription (RFC 3515 section 2.4.4). */
export function notifier(dialog: Srf.Dialog, log: Logger): (status: number, final: boolean) => Promise<void> {
  return async (status, final) => {
    try {
      await dialog.request({
        method: 'NOTIFY',
        headers: {
          Event: 'refer', 'Content-Type': SIPFRAG,
          'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60',
        },
        body: sipfrag(status),
      } as unknown as Srf.SrfRequest);
    } catch (err) {
      log.debug({ err }, 'transfer NOTIFY not delivered');
    }
  };
}

class TransferFailed extends Error {
  constructor(readonly status: number) {
    super(`transfer target failed: ${status}`);
    this.name = 'TransferFailed';
  }
}

/** BYE on a leg the call no longer holds (the transferor once replaced, a new party not bridged). */
export function releaseDialog(d: Srf.Dialog, log: Logger): void {
  try {
    d.destroy(undefined, (err: unknown) => { if (err) log.debug({ err }, 'BYE not sent'); });
  } catch (err) {
    log.debug({ err }, 'BYE not sent');
  }
}
