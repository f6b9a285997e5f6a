import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Side } from '../media';
import { CallState, HangupBy, type Call } from './call';
import { HangupCause } from './hangup';
import type { PeerLeg } from './relay';
import { notifier, releaseDialog } from './transfer';

/**
 * Attended transfer (RFC 5589 section 7): the transferor A holds call X (A with B) and call Y
 * (A with C), both through the B2BUA, and REFERs one of them with Refer-To carrying Replaces
 * (RFC 3891) that names its dialog of the other. The B2BUA anchors both calls, so it connects
 * B and C itself instead of sending an INVITE with Replaces: rtpengine's side of A in X is
 * pointed at rtpengine's side of A in Y (B re-INVITEd), and Y's at X's (C re-INVITEd). Both
 * rtpengine calls keep their tags, so each call's recording fork and file go on; the two calls
 * are spliced (an offer from B reaches C through Y, and back) and end together. A's two legs
 * get the final NOTIFY (200) and a BYE.
 */

/** The dialog a Replaces header names (RFC 3891 section 6.1). */
export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
}

const other = (s: Side): Side => (s === 'caller' ? 'callee' : 'caller');
const legOf = (c: Call, s: Side): Srf.Dialog | undefined => (s === 'caller' ? c.uas : c.uac);

/**
 * Pure: the Replaces of a Refer-To value, whose URI carries it as an escaped header
 * (`?Replaces=id%3Bto-tag%3Dx%3Bfrom-tag%3Dy`, RFC 3261 section 19.1.1), or undefined.
 */
export function replacesOf(referTo: string): Replaces | undefined {
  const uri = /<([^>]+)>/.exec(referTo)?.[1] ?? referTo.trim();
  const query = uri.split('?')[1] ?? '';
  for (const header of query.split('&')) {
    const eq = header.indexOf('=');
    if (eq < 0 || header.slice(0, eq).toLowerCase() !== 'replaces') continue;
    let value: string;
    try {
      value = decodeURIComponent(header.slice(eq + 1));
    } catch {
      return undefined;
    }
    const [callId, ...params] = value.split(';').map((p) => p.trim());
    const p = new Map(params.map((x) => [x.split('=')[0].toLowerCase(), x.slice(x.indexOf('=') + 1)]));
    const toTag = p.get('to-tag');
    const fromTag = p.get('from-tag');
    if (!callId || !toTag || !fromTag) return undefined;
    return { callId, toTag, fromTag };
  }
  return undefined;
}

/**
 * Which call and side hold the dialog Replaces names. A names its dialog with the B2BUA as the
 * B2BUA sees it (RFC 3891 section 3): to-tag is our local tag, from-tag A's.
 */
export function findDialog(calls: Iterable<Call>, r: Replaces): { call: Call; side: Side } | undefined {
  for (const call of calls) {
    for (const side of ['caller', 'callee'] as const) {
      const d = legOf(call, side);
      if (d?.sip.callId === r.callId && d.sip.localTag === r.toTag && d.sip.remoteTag === r.fromTag) return { call, side };
    }
  }
  return undefined;
}

/** Where an offer for `side` of `call` goes: its dialog, or the call spliced in its place. */
export function legToward(call: Call, side: Side): PeerLeg | undefined {
  return call.spliced?.side === side ? call.spliced.peer : legOf(call, side);
}

/**
 * The account of the party on `side`: the caller's own, or the account the call was routed in
 * (the callee's). A is one phone: its two dialogs must be of one account, so a phone cannot take
 * over another tenant's call (even one a shared carrier trunk brought in).
 */
function accountOf(call: Call, side: Side): string {
  return side === 'caller' ? call.caller.account.id : call.accountId;
}

export interface AttendedRefer {
  /** The call the REFER came in, and A's side of it. */
  call: Call;
  side: Side;
  from: Srf.Dialog;
  req: Srf.SrfRequest;
  res: Srf.SrfResponse;
  calls: Iterable<Call>;
  log: Logger;
}

/**
 * Handles a REFER with Replaces. Another account's dialog: 403 (RFC 3515 section 2.4.2 lets the
 * recipient refuse). Otherwise 202 and the outcome in sipfrag NOTIFYs: 481 when no bridged call
 * of the B2BUA holds the named dialog (RFC 3891 section 3), 500 when the re-INVITEs failed; in
 * both cases the calls go on as they were.
 */
export async function attendedTransfer(o: AttendedRefer): Promise<void> {
  const r = replacesOf(o.req.get('Refer-To'));
  if (!r) {
    o.res.send(400);
    return;
  }
  const found = findDialog(o.calls, r);
  if (found && accountOf(found.call, found.side) !== accountOf(o.call, o.side)) {
    o.log.info({ from: o.side }, 'attended transfer names another account\'s dialog: refused');
    o.res.send(403);
    return;
  }
  o.res.send(202);
  const notify = notifier(o.from, o.log);
  await notify(100, false);
  const y = found && found.call !== o.call && found.call.state === CallState.Answered && o.call.state === CallState.Answered ? found : undefined;
  if (!y) {
    o.log.info({ from: o.side, replaces: r.callId }, 'attended transfer names no bridged dialog: 481');
    await notify(481, true);
    return;
  }
  const aY = legOf(y.call, y.side);
  try {
    await splice(o.call, o.side, y.call, y.side);
  } catch (err) {
    o.log.warn({ err }, 'attended transfer failed; the calls go on');
    await notify(500, true);
    return;
  }
  o.log.info({ from: o.side, with: y.call.callId }, 'attended transfer completed: the remaining parties are connected');
  await notify(200, true);
  // The transferor leaves both calls (RFC 5589 section 7.1: the transfer succeeded).
  releaseDialog(o.from, o.log);
  if (aY) releaseDialog(aY, o.log);
}

/**
 * Connects the party left in x (without A on side s) with the party left in y (without A on
 * side t): each rtpengine call's side of A is pointed at the other's, the remaining parties
 * re-INVITEd (so both sessions are confirmed end to end), then the calls are spliced.
 */
async function splice(x: Call, s: Side, y: Call, t: Side): Promise<void> {
  const aX = legOf(x, s);
  const aY = legOf(y, t);
  const b = legToward(x, other(s));
  const c = legToward(y, other(t));
  if (!x.media || !y.media || !aX || !aY || !b || !c) throw new Error('a leg of the transfer is gone');
  // X's side of A now talks to Y's side of A: Y's SDP for A is offered in X from A's tag.
  const xForA = await x.media.reanswer(s, await b.modify(await x.media.reoffer(s, aY.local.sdp)));
  await y.media.reanswer(t, await c.modify(await y.media.reoffer(t, xForA)));
  link(x, s, y, t);
  link(y, t, x, s);
}

/** x's side s is now y (through y's remaining party); x's party list and events follow. */
function link(x: Call, s: Side, y: Call, t: Side): void {
  const now = Date.now();
  if (s === 'caller') x.uas = undefined;
  else x.uac = undefined;
  x.spliced = { side: s, peer: through(y, t) };
  const joining = y.parties.current(other(t));
  x.parties.leave(s, now);
  if (joining) {
    const { leftAt: _gone, ...rest } = joining;
    x.parties.join({ ...rest, role: s, joined: 'attended_transfer', joinedAt: now });
  }
  // The spliced call ends with this one: its remaining party hung up on ours (never awaited:
  // each call's close would wait for the other's).
  x.onClose(() => {
    const by = x.end?.by === HangupBy.System ? HangupBy.System : t === 'caller' ? HangupBy.Caller : HangupBy.Callee;
    void y.close({ cause: x.end?.cause ?? HangupCause.NormalClearing, by });
  });
  x.emit('transferred', x, s, { attended: true });
}

/** Offers and requests for y's side t pass through y's rtpengine call to its remaining party. */
function through(y: Call, t: Side): PeerLeg {
  const far = (): { leg: PeerLeg; media: NonNullable<Call['media']> } => {
    const leg = legToward(y, other(t));
    if (!leg || !y.media || y.ended) throw new Error('the spliced call has ended');
    return { leg, media: y.media };
  };
  return {
    modify: async (sdp) => {
      const { leg, media } = far();
      return media.reanswer(t, await leg.modify(await media.reoffer(t, sdp)));
    },
    request: async (req) => {
      const { leg, media } = far();
      const r = req as Srf.SrfRequest & { method: string; body?: string };
      if (r.method !== 'UPDATE' || !r.body) return leg.request(req);
      const answer = await leg.request({ ...r, body: await media.reoffer(t, r.body) } as Srf.SrfRequest);
      if (answer.status >= 300 || !answer.body) return answer;
      return { status: answer.status, body: await media.reanswer(t, answer.body) };
    },
  };
}
