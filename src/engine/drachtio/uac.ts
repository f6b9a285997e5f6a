/**
 * The UAC half of the bridge: requests the application asks us to send (new, in a dialog by
 * dialog id, or CANCEL by transaction id) and the responses coming back. Mirrors
 * drachtio-server's SipDialogController::doSendRequestOutsideDialog / InsideDialog.
 */
import { Dialog, contentTypeProblem } from '../dialog/dialog';
import { endpointOf, newCallId, newTag, parseCSeq, splitList, tagOf, uriOf, withTag } from '../dialog/fields';
import { contactFor, fixLocalhost, metaOf, newTransactionId, toRequest, toResponse, type BridgeContext } from './context';
import { formatApiResponse, formatSentRequest, formatSipEvent } from './protocol';
import type { ClientTransactionPort, Endpoint, SipResponsePort } from './sip-port';
import {
  getHeader, hasHeader, parseText, requestLine, setHeader, type TextMessage,
} from './text-message';

interface ClientTx {
  txnId: string;
  app: string;
  tx: ClientTransactionPort;
  method: string;
  dest?: Endpoint;
  /** Dialog the request was sent in (in-dialog requests). */
  dialog?: Dialog;
  /** INVITE/SUBSCRIBE outside a dialog: what the dialog will be built from. */
  origin?: { localAddr: string; localTag: string; callId: string; seq: number; contact: string; transport: Endpoint['transport'] };
  /** The dialog the first 2xx created; kept after the dialog ends so late 2xx retransmissions still get the ACK. */
  created?: Dialog;
}

export class RequestError extends Error {
  readonly code = 'EREQUEST';
}

export class UacBridge {
  private readonly txs = new Map<string, ClientTx>();

  constructor(private readonly c: BridgeContext) {}

  get size(): number {
    return this.txs.size;
  }

  /** `sip|<txnId>|<dialogId>|<routeUrl>` carrying a request from the app. */
  onAppRequest(app: string, msgId: string, txnId: string, dialogId: string, routeUrl: string, text: TextMessage): void {
    try {
      const rl = requestLine(text);
      if (!rl) throw new RequestError(`invalid request-uri: ${text.startLine}`);
      if (dialogId) {
        const d = this.c.dialogs.get(dialogId);
        // drachtio-srf maps this reason to ENODIALOG (a benign race with dialog teardown).
        if (!d) throw new RequestError(`unable to find dialog for dialog id ${dialogId}`);
        this.sendInDialog(app, msgId, d, rl.method, text, txnId || newTransactionId());
        return;
      }
      if (txnId && rl.method === 'CANCEL') {
        this.cancel(app, msgId, txnId);
        return;
      }
      // drachtio-server's by-Call-ID fallback looks for ids of the form `<callid>;uas|uac`, which
      // its own dialog ids never take, so a request without a dialog id always starts anew there;
      // this engine does the same (an app reusing a Call-ID for a B leg must not hit the A leg).
      this.sendNew(app, msgId, rl.method, rl.uri, routeUrl, text, txnId || newTransactionId());
    } catch (err) {
      this.c.send(app, formatApiResponse(msgId, false, (err as Error).message));
    }
  }

  private sendNew(app: string, msgId: string, method: string, uri: string, routeUrl: string, m: TextMessage, txnId: string): void {
    // The route url (srf's `proxy`) is a URI: its ;transport= is a URI parameter, which uriOf
    // would strip as a header parameter unless the URI is in <...>.
    const routeUri = routeUrl.includes('<') ? uriOf(routeUrl) : routeUrl.trim();
    const target = routeUrl ? endpointOf(routeUri, 'udp') : endpointOf(uri, 'udp');
    if (routeUrl && !target) throw new RequestError(`unsupported route url: ${routeUrl}`);
    const transport = target?.transport ?? 'udp';
    if (target && this.isUs(target)) throw new RequestError('can not send request to myself');
    const contact = contactFor(this.c.stack, transport);
    fixLocalhost(this.c.stack, m, transport);
    const localTag = tagOf(getHeader(m, 'from')) ?? newTag();
    const from = withTag(getHeader(m, 'from') ?? contact, localTag);
    setHeader(m, 'From', from);
    if (!hasHeader(m, 'to')) setHeader(m, 'To', `<${uri}>`);
    const callId = getHeader(m, 'call-id') ?? newCallId();
    setHeader(m, 'Call-ID', callId);
    const seq = parseCSeq(getHeader(m, 'cseq'))?.seq ?? 1;
    setHeader(m, 'CSeq', `${seq} ${method}`);
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && !hasHeader(m, 'contact')) setHeader(m, 'Contact', contact);
    const problem = contentTypeProblem(m);
    if (problem) throw new RequestError(problem);
    const origin = method === 'INVITE' || method === 'SUBSCRIBE'
      ? { localAddr: from, localTag, callId, seq, contact: getHeader(m, 'contact') ?? contact, transport }
      : undefined;
    this.launch(app, msgId, txnId, method, m, target ?? undefined, undefined, origin);
  }

  private sendInDialog(app: string, msgId: string, d: Dialog, method: string, text: TextMessage, txnId: string): void {
    const m = d.buildRequest(method, text);
    fixLocalhost(this.c.stack, m, d.init.transport);
    const problem = contentTypeProblem(m);
    if (problem) throw new RequestError(problem);
    const first = d.init.routeSet[0];
    const target = endpointOf(first ? uriOf(first) : d.init.remoteTarget, d.init.transport) ?? undefined;
    if (method === 'ACK') {
      // RFC 3261 13.2.2.4: the ACK for a 2xx is sent by the UAC core, outside any transaction.
      const ack = toRequest(this.c.codec, m);
      d.lastAck = m;
      this.c.stack.sendStateless(ack, { target }).catch((err: Error) => this.c.log.debug({ err }, 'ACK send failed'));
      const wire = this.c.codec.serialize(ack);
      this.c.send(app, formatSentRequest(msgId, metaOf('application', wire, this.local(d.init.transport)), txnId, wire));
      return;
    }
    this.launch(app, msgId, txnId, method, m, target, d);
  }

  private launch(app: string, msgId: string, txnId: string, method: string, m: TextMessage, target: Endpoint | undefined,
    dialog?: Dialog, origin?: ClientTx['origin']): void {
    const req = toRequest(this.c.codec, m);
    const tx = this.c.stack.sendRequest(req, target ? { target } : undefined);
    this.c.counters.requestsOut++;
    const e: ClientTx = { txnId, app, tx, method, dialog, origin, dest: target };
    this.txs.set(txnId, e);
    tx.destination.then((d) => { e.dest = d; }, () => undefined);
    tx.on('response', (res: SipResponsePort) => this.onResponse(e, res));
    tx.on('timeout', () => this.synthesize(e, 408));
    tx.on('transportError', () => this.synthesize(e, 503));
    tx.on('terminated', () => {
      this.txs.delete(txnId);
      this.finals.delete(txnId);
    });
    const wire = this.c.codec.serialize(tx.request);
    this.c.send(app, formatSentRequest(msgId, metaOf('application', wire, this.local(target?.transport ?? 'udp')), txnId, wire));
  }

  private onResponse(e: ClientTx, res: SipResponsePort): void {
    const status = res.status;
    const callId = res.headers.get('call-id') ?? '';
    let dialogId = e.dialog?.id ?? '';
    if (e.origin) {
      dialogId = `${callId};from-tag=${e.origin.localTag}`;
      if (status >= 200 && status < 300) {
        if (e.created) {
          // A retransmitted 2xx (RFC 3261 13.2.2.4): the UAC core resends its ACK; the app saw it once.
          if (e.method === 'INVITE') this.resendAck(e.created);
          return;
        }
        e.created = this.uacDialog(e, res);
        this.c.dialogs.add(e.created);
      }
    } else if (e.dialog) {
      const d = e.dialog;
      if (status >= 200 && status < 300 && e.method === 'INVITE') {
        if (this.finals.has(e.txnId)) {
          this.resendAck(d);
          return;
        }
        d.refreshTarget(res.headers.get('contact'));
      }
      // A NOTIFY ending a subscription ends a SUBSCRIBE dialog; in an INVITE dialog (REFER's
      // implicit subscription, RFC 3515) only that usage ends and the call goes on (RFC 5057 5.2).
      const subscriptionOver = d.init.kind === 'subscribe' && e.method === 'NOTIFY' && /terminated/i.test(e.tx.request.headers.get('subscription-state') ?? '');
      // RFC 3261 12.2.1.2: 481/408 to a request in a dialog end it; so does any final response to BYE.
      if (status >= 200 && (e.method === 'BYE' || status === 481 || status === 408 || subscriptionOver)) this.c.dialogs.remove(d);
    }
    if (status >= 200) this.finals.add(e.txnId);
    const raw = this.c.codec.serialize(res);
    const from = e.dest ?? { transport: 'udp' as const, address: '', port: 0 };
    this.c.send(e.app, formatSipEvent(metaOf('network', raw, from), e.txnId, dialogId, raw));
  }

  private readonly finals = new Set<string>();

  private resendAck(d: Dialog): void {
    if (!d.lastAck) return;
    const first = d.init.routeSet[0];
    const target = endpointOf(first ? uriOf(first) : d.init.remoteTarget, d.init.transport) ?? undefined;
    this.c.stack.sendStateless(toRequest(this.c.codec, d.lastAck), { target }).catch(() => undefined);
  }

  private uacDialog(e: ClientTx, res: SipResponsePort): Dialog {
    const o = e.origin as NonNullable<ClientTx['origin']>;
    const to = res.headers.get('to') ?? '';
    const contact = res.headers.get('contact');
    // RFC 3261 12.1.2: the UAC's route set is the Record-Route of the response, reversed.
    const routeSet = res.headers.getAll('record-route').flatMap(splitList).reverse();
    return new Dialog({
      role: 'uac',
      kind: e.method === 'SUBSCRIBE' ? 'subscribe' : 'invite',
      callId: o.callId,
      localTag: o.localTag,
      remoteTag: tagOf(to) ?? '',
      localAddr: o.localAddr,
      remoteAddr: to,
      localSeq: o.seq,
      remoteSeq: 0,
      remoteTarget: contact ? uriOf(splitList(contact)[0] ?? contact) : e.tx.request.uri,
      routeSet,
      localContact: o.contact,
      transport: e.dest?.transport ?? o.transport,
      owner: e.app,
    });
  }

  /** A locally generated final response (timeout, transport failure), delivered as the network's. */
  private synthesize(e: ClientTx, status: 408 | 503): void {
    if (this.finals.has(e.txnId)) return;
    const req = e.tx.request;
    const m: TextMessage = {
      startLine: `SIP/2.0 ${status} ${status === 408 ? 'Request Timeout' : 'Service Unavailable'}`,
      headers: [
        ...req.headers.getAll('via').slice(0, 1).map((v): [string, string] => ['Via', v]),
        ['From', req.headers.get('from') ?? ''], ['To', req.headers.get('to') ?? ''],
        ['Call-ID', req.headers.get('call-id') ?? ''], ['CSeq', req.headers.get('cseq') ?? ''],
      ],
      body: '',
    };
    try {
      this.onResponse(e, toResponse(this.c.codec, m));
    } catch (err) {
      this.c.log.debug({ err }, 'could not synthesize response');
    }
    this.finals.delete(e.txnId);
    this.txs.delete(e.txnId);
  }

  private cancel(app: string, msgId: string, txnId: string): void {
    const e = this.txs.get(txnId);
    if (!e || e.method !== 'INVITE') throw new RequestError(`unable to find transaction ${txnId} to cancel`);
    e.tx.cancel().catch((err: Error) => this.c.log.debug({ err }, 'CANCEL failed'));
    // Echo a CANCEL as RFC 3261 9.1 builds it (same Via, Call-ID, From, To, CSeq number).
    const inv = parseText(this.c.codec.serialize(e.tx.request));
    if (!inv) throw new RequestError('cannot rebuild CANCEL');
    const cseq = parseCSeq(getHeader(inv, 'cseq'));
    const keep = ['via', 'from', 'to', 'call-id', 'route', 'max-forwards'];
    const m: TextMessage = {
      startLine: `CANCEL ${e.tx.request.uri} SIP/2.0`,
      headers: inv.headers.filter(([k]) => keep.includes(k.toLowerCase())).slice(),
      body: '',
    };
    setHeader(m, 'CSeq', `${cseq?.seq ?? 1} CANCEL`);
    const wire = this.c.codec.serialize(toRequest(this.c.codec, m));
    this.c.send(app, formatSentRequest(msgId, metaOf('application', wire, this.local(e.dest?.transport ?? 'udp')), newTransactionId(), wire));
  }

  private local(transport: Endpoint['transport']): Endpoint {
    const a = this.c.stack.advertised(transport);
    return { transport, address: a.host, port: a.port };
  }

  private isUs(target: Endpoint): boolean {
    return this.c.stack.listeners().some((l) => l.port === target.port && (l.address === target.address || l.address === '0.0.0.0'));
  }

  /** App went away: forget its transactions (the core finishes them on the wire). */
  dropApp(app: string): void {
    for (const e of [...this.txs.values()]) {
      if (e.app !== app) continue;
      this.txs.delete(e.txnId);
      this.finals.delete(e.txnId);
    }
  }

  /** Sends a BYE in a dialog on the engine's own initiative (ACK timeout); returns its wire text. */
  sendBye(d: Dialog, reason: string): string | null {
    try {
      const m = d.buildRequest('BYE', { startLine: '', headers: [['Reason', reason]], body: '' });
      const first = d.init.routeSet[0];
      const target = endpointOf(first ? uriOf(first) : d.init.remoteTarget, d.init.transport) ?? undefined;
      const tx = this.c.stack.sendRequest(toRequest(this.c.codec, m), target ? { target } : undefined);
      return this.c.codec.serialize(tx.request);
    } catch (err) {
      this.c.log.warn({ err }, 'could not send BYE');
      return null;
    }
  }
}
