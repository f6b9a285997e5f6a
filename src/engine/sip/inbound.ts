import type { Logger } from 'pino';
import type { SipParseError } from './errors';
import { createResponse } from './message/create';
import { parseCSeq, type Via } from './message/fields';
import type { SipRequest } from './message/message';
import { getHeaderParam } from './message/params';
import { serialize } from './message/serializer';
import type { ServerAdmission } from './transaction/admission';
import { InviteServerTransaction } from './transaction/invite-server';
import { dialogAckKey, serverKey } from './transaction/keys';
import { NonInviteServerTransaction } from './transaction/non-invite-server';
import type { ServerTransaction } from './transaction/server-transaction';
import { TxState, type TransactionHost } from './transaction/types';
import { defaultPort } from './transport/resolve';
import { isReliable, type Endpoint, type InboundContext } from './transport/types';
import { responseTarget, stampVia } from './transport/via';

/** Retry-After (seconds) on the 503 of a request refused for overload (RFC 3261 21.5.4). */
const OVERLOAD_RETRY_AFTER_SEC = 5;

export interface InboundDeps {
  host: TransactionHost;
  admission: ServerAdmission;
  log: Logger;
  nextId(): string;
  /** A server transaction was created (stats). */
  counted(): void;
  /** Sends bytes outside any transaction; errors are dropped (nothing is kept to retry). */
  sendStateless(data: Buffer, dest: Endpoint, local: Endpoint): void;
  /** A new request for the TU; tx is null for an ACK that no transaction claimed. */
  deliver(req: SipRequest, ctx: InboundContext, tx: ServerTransaction | null): void;
}

/**
 * Requests from the network and the server transactions they make (RFC 3261 17.2): matching
 * (17.2.3), admission under overload (21.5.4) and what the stack answers itself: 100 Trying
 * (17.2.1), CANCEL (9.2), ACKs for a 2xx matched by dialog (RFC 6026 Accepted), 400 to a
 * malformed request (21.4.1). The stack keeps the transports and the client transactions.
 */
export class InboundRequests {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly accepted = new Map<string, InviteServerTransaction>();

  constructor(private readonly d: InboundDeps) {}

  /** Server transactions held now. */
  get size(): number {
    return this.servers.size;
  }

  /** Every held transaction (close() terminates them). */
  all(): ServerTransaction[] {
    return [...this.servers.values()];
  }

  forget(tx: { readonly key: string }): void {
    if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
  }

  registerAccepted(dialogKey: string, tx: InviteServerTransaction): void {
    this.accepted.set(dialogKey, tx);
  }

  unregisterAccepted(dialogKey: string, tx: InviteServerTransaction): void {
    if (this.accepted.get(dialogKey) === tx) this.accepted.delete(dialogKey);
  }

  onRequest(msg: SipRequest, ctx: InboundContext): void {
    const via = stampVia(msg, ctx);
    if (!via) return;
    const method = msg.method;
    if (method === 'ACK') {
      this.onAck(msg, ctx, via);
      return;
    }
    const key = serverKey(msg, via, method);
    const existing = this.servers.get(key);
    if (existing) {
      existing.receiveRetransmission();
      return;
    }
    // A CANCEL for an INVITE we hold is always taken: it ends a transaction, it cannot add up.
    const cancelsHeld = method === 'CANCEL' && this.servers.has(serverKey(msg, via, 'INVITE'));
    if (!cancelsHeld && this.d.admission.check(method, ctx.source.address, this.servers.size)) {
      this.replyStateless(msg, via, ctx, 503, [['Retry-After', String(OVERLOAD_RETRY_AFTER_SEC)]]);
      return;
    }
    const target = responseTarget(via, ctx);
    const fallback = isReliable(ctx.source.transport)
      ? { transport: ctx.source.transport, address: via.received ?? via.host, port: via.port ?? defaultPort(ctx.source.transport) } : undefined;
    const { host, log } = this.d;
    if (method === 'INVITE') {
      const tx = new InviteServerTransaction(this.d.nextId(), key, msg, ctx, target, host, log, TxState.Proceeding);
      tx.responseFallback = fallback;
      tx.releasePending = this.d.admission.holdInvite(ctx.source.address);
      this.servers.set(key, tx);
      this.d.counted();
      // RFC 3261 17.2.1: the server transaction sends 100 Trying (immediately here).
      tx.respond(createResponse(msg, 100));
      this.d.deliver(msg, ctx, tx);
      return;
    }
    const tx = new NonInviteServerTransaction(this.d.nextId(), key, msg, ctx, target, host, log, TxState.Trying);
    tx.responseFallback = fallback;
    this.servers.set(key, tx);
    this.d.counted();
    if (method === 'CANCEL') {
      this.onCancel(msg, via, tx);
      return;
    }
    tx.armGuard();
    this.d.deliver(msg, ctx, tx);
  }

  /** RFC 3261 8.2 / 21.4.1: a 400 goes back when the request is addressable (it has a Via). */
  onMalformed(err: SipParseError, ctx: InboundContext): void {
    const req = err.request;
    const via = req ? stampVia(req, ctx) : null;
    if (req && via) this.replyStateless(req, via, ctx, 400);
  }

  /** RFC 3261 9.2: CANCEL is answered by the stack; the INVITE gets 487 and the TU is told. */
  private onCancel(cancel: SipRequest, via: Via, tx: NonInviteServerTransaction): void {
    const invite = this.servers.get(serverKey(cancel, via, 'INVITE'));
    if (!(invite instanceof InviteServerTransaction)) {
      tx.respond(createResponse(cancel, 481));
      return;
    }
    tx.respond(createResponse(cancel, 200, undefined, invite.toTag));
    invite.cancel(cancel);
  }

  private onAck(ack: SipRequest, ctx: InboundContext, via: Via): void {
    const tx = this.servers.get(serverKey(ack, via, 'ACK'));
    if (tx instanceof InviteServerTransaction) {
      tx.receiveAck(ack);
      return;
    }
    const h = ack.headers;
    const toTag = getHeaderParam(h.get('to') ?? '', 'tag');
    const cseq = parseCSeq(h.get('cseq') ?? '');
    if (toTag && cseq) {
      const acc = this.accepted.get(dialogAckKey(h.get('call-id') ?? '', cseq.seq, toTag));
      if (acc) {
        acc.receiveAck(ack);
        return;
      }
    }
    this.d.deliver(ack, ctx, null);
  }

  /** A response sent without a transaction (nothing is kept, retransmissions are answered anew). */
  private replyStateless(req: SipRequest, via: Via, ctx: InboundContext, status: number, headers: [string, string][] = []): void {
    try {
      const res = createResponse(req, status);
      for (const [n, v] of headers) res.headers.append(n, v);
      this.d.sendStateless(serialize(res), responseTarget(via, ctx), ctx.local);
    } catch (e) {
      this.d.log.debug({ err: e, status }, 'could not answer a request statelessly');
    }
  }
}
