import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CallMedia, Side } from '../media';
import { infoDtmf } from './info-dtmf';

/**
 * In-dialog offer/answer relayed between the two legs through rtpengine: a re-INVITE or an
 * UPDATE with SDP from one side (hold, resume, codec change) is re-offered to rtpengine, sent
 * on the other leg, and the other side's answer goes back through rtpengine to the offerer
 * (RFC 3264 section 8 for hold/resume semantics, RFC 3311 for UPDATE).
 */

/**
 * Where a relayed offer or request goes: the other leg's dialog, or after an attended transfer
 * the call spliced in its place (attended.ts), which passes it on to its remaining party.
 */
export interface PeerLeg {
  modify(sdp: string): Promise<string>;
  request(opts: Srf.SrfRequest): Promise<{ status: number; body?: string }>;
}

export interface RelayHooks {
  /** The call's current legs: a transfer replaces one of them. */
  legs: () => { caller: PeerLeg | undefined; callee: PeerLeg | undefined };
  onRenegotiated: (from: Side) => void;
  /** A REFER in a leg's dialog (RFC 3515): the B2BUA transfers. */
  onRefer: (from: Side, dialog: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse) => void;
  /** A key pressed on a leg, sent as SIP INFO (application/dtmf-relay or application/dtmf). */
  onDigit: (from: Side, digit: string) => void;
  /** A relay failed in a way that leaves the legs inconsistent (rtpengine gone). */
  onFatal: (err: unknown) => void;
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

const SDP = { 'Content-Type': 'application/sdp' };

/**
 * Wires one leg's in-dialog requests; the other leg is looked up when a request arrives (a
 * transfer may have replaced it). Call it for each leg, and again for a leg a transfer adds.
 */
export function relayLeg(from: Srf.Dialog, side: Side, media: CallMedia, log: Logger, hooks: RelayHooks): void {
  const other = (): PeerLeg | undefined => (side === 'caller' ? hooks.legs().callee : hooks.legs().caller);
  from.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const to = other();
    if (to) void relayInvite(req, res, to, from, side);
    else res.send(500);
  });
  from.on('update', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const to = other();
    if (to) void relayUpdate(req, res, to, side);
    else res.send(500);
  });
  // INFO (RFC 6086) goes through to the other party unchanged. A key press (SIP INFO DTMF) is
  // also the call's: reported to hooks.onDigit (feature codes) and answered 200 by us at once,
  // the far end's answer only logged; one of those types naming no key is a 400 (RFC 3261
  // 21.4.1) and goes nowhere. Other bodies get the far end's answer (415 where it does not
  // support the type, RFC 6086 section 4.2.2).
  from.on('info', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const headers: Record<string, string> = {};
    for (const h of ['Content-Type', 'Info-Package']) if (req.has(h)) headers[h] = req.get(h);
    const dtmf = req.has('Info-Package') ? { kind: 'other' as const } : infoDtmf(headers['Content-Type'], req.body);
    if (dtmf.kind === 'malformed') {
      log.info({ from: side, contentType: headers['Content-Type'] }, 'INFO key press without a key: 400');
      res.send(400);
      return;
    }
    const to = other();
    if (dtmf.kind === 'digit') {
      res.send(200);
      hooks.onDigit(side, dtmf.digit);
      to?.request({ method: 'INFO', headers, body: req.body } as unknown as Srf.SrfRequest)
        .then((r) => { if (r.status >= 300) log.info({ from: side, status: r.status }, 'INFO key press refused by the other party'); }, () => undefined);
      return;
    }
    if (!to) {
      res.send(500);
      return;
    }
    to.request({ method: 'INFO', headers, body: req.body } as unknown as Srf.SrfRequest)
      .then((r) => res.send(r.status), () => res.send(500));
  });
  // A listener is required: without one drachtio-srf would accept a REFER with 200 and do nothing.
  from.on('refer', (req: Srf.SrfRequest, res: Srf.SrfResponse) => hooks.onRefer(side, from, req, res));

  async function relayInvite(req: Srf.SrfRequest, res: Srf.SrfResponse, to: PeerLeg, self: Srf.Dialog, side: Side): Promise<void> {
    if (!req.body) {
      // An offerless re-INVITE (RFC 3261 14.1) would make us the offerer on both legs; answer
      // with the SDP this leg already has, which keeps the session unchanged.
      res.send(200, { body: self.local.sdp, headers: SDP });
      return;
    }
    try {
      const offer = await media.reoffer(side, req.body);
      const answer = await to.modify(offer);
      const back = await media.reanswer(side, answer);
      res.send(200, { body: back, headers: SDP });
      hooks.onRenegotiated(side);
      log.info({ from: side }, 're-INVITE relayed');
    } catch (err) {
      const status = statusOf(err);
      log.warn({ err, from: side, status }, 're-INVITE relay failed');
      // RFC 3261 14.2: a failed re-INVITE leaves the session as it was; relay the far end's
      // refusal, or 500 when rtpengine could not take the offer.
      if (!res.finalResponseSent) res.send(status !== undefined && status >= 400 ? status : 500);
      if (status === undefined) hooks.onFatal(err);
    }
  }

  async function relayUpdate(req: Srf.SrfRequest, res: Srf.SrfResponse, to: PeerLeg, side: Side): Promise<void> {
    if (!req.body) {
      res.send(200);
      return;
    }
    try {
      const offer = await media.reoffer(side, req.body);
      const r = await to.request({ method: 'UPDATE', body: offer, headers: SDP } as unknown as Srf.SrfRequest);
      if (r.status >= 300 || !r.body) {
        res.send(r.status >= 300 ? r.status : 500);
        return;
      }
      const back = await media.reanswer(side, r.body);
      res.send(200, { body: back, headers: SDP });
      hooks.onRenegotiated(side);
      log.info({ from: side }, 'UPDATE relayed');
    } catch (err) {
      log.warn({ err, from: side }, 'UPDATE relay failed');
      if (!res.finalResponseSent) res.send(500);
      hooks.onFatal(err);
    }
  }
}
