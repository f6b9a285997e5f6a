/**
 * The UAS half of the bridge: requests from the network go to an application, the app's
 * responses go back on the server transaction. Mirrors drachtio-server's
 * PendingRequestController / SipDialogController::doRespondToSipRequest.
 */
import { Dialog, contentTypeProblem } from '../dialog/dialog';
import { splitList, tagOf, newTag, uriOf, parseCSeq } from '../dialog/fields';
import { contactFor, fixLocalhost, metaOf, newTransactionId, toResponse, type BridgeContext } from './context';
import { formatApiResponse, formatSentResponse, formatSipEvent } from './protocol';
import type { InboundContext, ServerTransactionPort, SipRequestPort, SipResponsePort } from './sip-port';
import { getHeader, hasHeader, normalizedName, statusLine, type TextMessage } from './text-message';

interface PendingServerTx {
  txnId: string;
  app: string;
  tx: ServerTransactionPort;
  req: SipRequestPort;
  ctx: InboundContext;
  toTag: string;
  /** Set for requests inside a dialog. */
  dialog?: Dialog;
}

/** Headers of a response the engine copies from the request; the app cannot change them. */
const FROM_REQUEST = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

export class UasBridge {
  private readonly pending = new Map<string, PendingServerTx>();

  constructor(private readonly c: BridgeContext, private readonly selectApp: (method: string) => string | undefined) {}

  get size(): number {
    return this.pending.size;
  }

  onRequest(req: SipRequestPort, ctx: InboundContext, tx: ServerTransactionPort | null): void {
    this.c.counters.requestsIn++;
    const callId = req.headers.get('call-id') ?? '';
    const toTag = tagOf(req.headers.get('to'));
    if (tx === null) {
      // An ACK no server transaction claimed: an ACK for a 2xx inside a dialog we track.
      const d = req.method === 'ACK' ? this.c.dialogs.match(callId, toTag) : undefined;
      if (d) this.deliver(d.init.owner, req, ctx, newTransactionId(), d.id);
      return;
    }
    if (!/^(sips?|tel):/i.test(req.uri)) {
      // RFC 3261 8.2.2.1: a Request-URI scheme we do not understand gets 416.
      this.reply(tx, req, 416);
      return;
    }
    if (toTag !== undefined) {
      this.inDialog(req, ctx, tx, callId, toTag);
      return;
    }
    const app = this.selectApp(req.method);
    if (!app) {
      // drachtio-server answers 503 when no application routed this method.
      this.c.counters.rejectedNoApp++;
      this.reply(tx, req, 503);
      return;
    }
    this.track(req, ctx, tx, app, undefined, true);
  }

  private inDialog(req: SipRequestPort, ctx: InboundContext, tx: ServerTransactionPort, callId: string, toTag: string): void {
    const d = this.c.dialogs.match(callId, toTag);
    if (!d) {
      // RFC 3261 12.2.2: a request with a To tag matching no dialog gets 481.
      this.reply(tx, req, 481);
      return;
    }
    const cseq = parseCSeq(req.headers.get('cseq'));
    if (!cseq || !d.acceptRemoteSeq(cseq.seq, req.method)) {
      // RFC 3261 12.2.2: out-of-order CSeq is answered 500.
      this.reply(tx, req, 500);
      return;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') d.refreshTarget(req.headers.get('contact'));
    this.track(req, ctx, tx, d.init.owner, d, false);
    if (req.method === 'BYE') this.c.dialogs.remove(d);
  }

  private track(req: SipRequestPort, ctx: InboundContext, tx: ServerTransactionPort, app: string, dialog: Dialog | undefined, isNew: boolean): void {
    const txnId = newTransactionId();
    const p: PendingServerTx = { txnId, app, tx, req, ctx, toTag: tagOf(req.headers.get('to')) ?? newTag(), dialog };
    this.pending.set(txnId, p);
    tx.on('terminated', () => this.pending.delete(txnId));
    tx.on('cancel', (cancel: SipRequestPort) => {
      // The core has answered 200 to the CANCEL and 487 to the INVITE; the app learns of it.
      this.pending.delete(txnId);
      this.deliver(app, cancel, ctx, txnId, '');
    });
    if (!this.deliver(app, req, ctx, txnId, dialog?.id ?? '', isNew ? ctx.local : undefined)) {
      this.pending.delete(txnId);
      this.reply(tx, req, dialog ? 481 : 503);
    }
  }

  private deliver(app: string, msg: SipRequestPort, ctx: InboundContext, txnId: string, dialogId: string, receivedOn?: InboundContext['local']): boolean {
    const raw = this.c.codec.serialize(msg);
    return this.c.send(app, formatSipEvent(metaOf('network', raw, ctx.source), txnId, dialogId, raw,
      receivedOn ? { address: receivedOn.address, port: receivedOn.port } : undefined));
  }

  private reply(tx: ServerTransactionPort, req: SipRequestPort, status: number): void {
    const m = this.responseFrom(req, status, '', { startLine: '', headers: [], body: '' }, newTag());
    try {
      tx.respond(toResponse(this.c.codec, m));
    } catch (err) {
      this.c.log.debug({ err }, 'could not send engine-generated response');
    }
  }

  /** Builds the response: identity headers from the request (RFC 3261 8.2.6.2), the rest from the app. */
  private responseFrom(req: SipRequestPort, status: number, reason: string, app: TextMessage, toTag: string): TextMessage {
    const h: [string, string][] = [];
    for (const v of req.headers.getAll('via')) h.push(['Via', v]);
    const to = req.headers.get('to') ?? '';
    const appTag = tagOf(getHeader(app, 'to'));
    h.push(['From', req.headers.get('from') ?? '']);
    h.push(['To', status === 100 || tagOf(to) ? to : `${to};tag=${appTag ?? toTag}`]);
    h.push(['Call-ID', req.headers.get('call-id') ?? '']);
    h.push(['CSeq', req.headers.get('cseq') ?? '']);
    for (const e of app.headers) if (!FROM_REQUEST.has(normalizedName(e[0]))) h.push(e);
    return { startLine: `SIP/2.0 ${status} ${reason || defaultReason(status)}`, headers: h, body: app.body };
  }

  /** `sip|<txnId>|<dialogId>` carrying a response from the app. */
  onAppResponse(app: string, msgId: string, txnId: string, text: TextMessage): void {
    const p = this.pending.get(txnId);
    const sl = statusLine(text);
    if (!p || !sl) {
      const isCancel = parseCSeq(getHeader(text, 'cseq'))?.method === 'CANCEL';
      this.c.send(app, formatApiResponse(msgId, false, !sl ? 'invalid status line'
        : isCancel ? '200 OK to incoming CANCEL is automatically generated by the stack' : 'Response not sent due to unknown transaction'));
      return;
    }
    const { req, ctx } = p;
    const m = this.responseFrom(req, sl.status, sl.reason, text, p.toTag);
    // RFC 3261 20.15: a non-empty body needs a Content-Type; as drachtio-server does, an
    // unlabelled SDP body gets application/sdp (apps answer with `{ body: sdp }` alone), and any
    // other unlabelled body is refused rather than sent unreadable.
    const typeProblem = contentTypeProblem(m);
    if (typeProblem !== null) {
      this.c.send(app, formatApiResponse(msgId, false, typeProblem));
      return;
    }
    fixLocalhost(this.c.stack, m, ctx.local.transport);
    if (p.toTag && tagOf(getHeader(m, 'to'))) p.toTag = tagOf(getHeader(m, 'to')) as string;
    const is2xx = sl.status >= 200 && sl.status < 300;
    const formsDialog = (req.method === 'INVITE' || req.method === 'SUBSCRIBE') && !p.dialog;
    if (is2xx && (req.method === 'INVITE' || req.method === 'SUBSCRIBE') && !hasHeader(m, 'contact')) {
      m.headers.push(['Contact', contactFor(this.c.stack, ctx.local.transport)]);
    }
    // RFC 3261 12.1.1: the UAS copies Record-Route into responses that establish a dialog.
    if (formsDialog && sl.status > 100 && !hasHeader(m, 'record-route')) {
      for (const rr of req.headers.getAll('record-route')) m.headers.push(['Record-Route', rr]);
    }
    let res: SipResponsePort;
    try {
      res = toResponse(this.c.codec, m);
      p.tx.respond(res);
    } catch (err) {
      this.c.send(app, formatApiResponse(msgId, false, `failed sending response: ${(err as Error).message}`));
      return;
    }
    let dialogId = p.dialog?.id ?? '';
    if (formsDialog) {
      const d = this.uasDialog(p, m);
      dialogId = d.id;
      if (is2xx) {
        this.c.dialogs.add(d);
        if (req.method === 'INVITE') this.watchAck(p, d);
      }
    } else if (p.dialog && req.method === 'INVITE' && is2xx) {
      this.watchAck(p, p.dialog);
    }
    const sent = this.c.codec.serialize(res);
    this.c.send(app, formatSentResponse(msgId, metaOf('application', sent, ctx.source), txnId, dialogId, sent));
    if (sl.status >= 200) this.pending.delete(txnId);
  }

  private uasDialog(p: PendingServerTx, res: TextMessage): Dialog {
    const { req, ctx } = p;
    const cseq = parseCSeq(req.headers.get('cseq'));
    const routeSet = req.headers.getAll('record-route').flatMap(splitList);
    const contact = req.headers.get('contact');
    return new Dialog({
      role: 'uas',
      kind: req.method === 'SUBSCRIBE' ? 'subscribe' : 'invite',
      callId: req.headers.get('call-id') ?? '',
      localTag: p.toTag,
      remoteTag: tagOf(req.headers.get('from')) ?? '',
      localAddr: getHeader(res, 'to') ?? '',
      remoteAddr: req.headers.get('from') ?? '',
      localSeq: 0,
      remoteSeq: cseq?.seq ?? 0,
      remoteTarget: contact ? uriOf(splitList(contact)[0] ?? contact) : req.uri,
      routeSet,
      localContact: getHeader(res, 'contact') ?? contactFor(this.c.stack, ctx.local.transport),
      transport: ctx.source.transport,
      owner: p.app,
    });
  }

  /** ACK for our 2xx goes to the app with the dialog id; none in time means BYE (drachtio's ACK timeout). */
  private watchAck(p: PendingServerTx, d: Dialog): void {
    // The listeners keep what they use, not `p`: p.req is the whole request, which the
    // transaction itself has let go of by now (it lives up to 64*T1 in Accepted).
    const { tx, ctx } = p;
    tx.on('ack', (ack: SipRequestPort) => this.deliver(d.init.owner, ack, ctx, newTransactionId(), d.id));
    tx.on('ackTimeout', () => {
      this.c.counters.ackTimeouts++;
      this.onAckTimeout(d);
    });
  }

  /** Overridden by the server to send the BYE through the UAC half (keeps the two halves decoupled). */
  onAckTimeout: (d: Dialog) => void = () => undefined;

  /** App went away: answer what it left unanswered so callers are not left ringing. */
  dropApp(app: string): void {
    for (const p of [...this.pending.values()]) {
      if (p.app !== app) continue;
      this.pending.delete(p.txnId);
      this.reply(p.tx, p.req, 503);
    }
  }
}

function defaultReason(status: number): string {
  if (status === 416) return 'Unsupported URI Scheme';
  if (status === 481) return 'Call/Transaction Does Not Exist';
  if (status === 503) return 'Service Unavailable';
  if (status < 200) return 'Trying';
  if (status < 300) return 'OK';
  return 'Error';
}
