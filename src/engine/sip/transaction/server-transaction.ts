import type { Logger } from 'pino';
import { transactionCopy } from '../message/create';
import { serialize } from '../message/serializer';
import { getHeaderParam } from '../message/params';
import type { SipRequest, SipResponse } from '../message/message';
import type { Endpoint, InboundContext } from '../transport/types';
import { isReliable } from '../transport/types';
import { Transaction } from './transaction';
import { TxState, type ServerTxEvents, type TransactionHost } from './types';

/**
 * Common part of the INVITE and non-INVITE server transactions (RFC 3261 17.2). Subclasses own
 * the state machine: their transition() is the only place that changes state and starts timers.
 */
export abstract class ServerTransaction extends Transaction<ServerTxEvents> {
  readonly kind = 'server' as const;
  protected readonly reliable: boolean;
  /** Last response sent, serialized: retransmitted when the request is retransmitted. */
  protected lastResponse: Buffer | null = null;
  protected lastStatus = 0;
  /** Reliable transports: where responses go if the request's connection has closed (RFC 3261 18.2.2). */
  responseFallback?: Endpoint;
  /** To tag of the responses we sent (reused for a stack-generated 487). */
  toTag?: string;

  constructor(
    id: string,
    /** Table key per RFC 3261 17.2.3 (branch + sent-by + method). */
    key: string,
    request: SipRequest,
    readonly context: InboundContext,
    /** Where responses go (RFC 3261 18.2.2), computed once from the top Via. */
    readonly responseTarget: Endpoint,
    host: TransactionHost,
    baseLogger: Logger,
    initial: TxState,
  ) {
    super(id, key, request, host, baseLogger, initial);
    this.reliable = isReliable(context.source.transport);
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** Final response status sent so far (0 if none). */
  get finalStatus(): number {
    return this.lastStatus >= 200 ? this.lastStatus : 0;
  }

  /** Sends a provisional or final response from the TU (or the stack). */
  abstract respond(res: SipResponse): void;
  /** A retransmission of the request arrived (RFC 3261 17.2.1 / 17.2.2). */
  abstract receiveRetransmission(): void;

  protected transmit(res: SipResponse): void {
    const to = res.headers.get('to');
    if (to && this.toTag === undefined) {
      const tag = getHeaderParam(to, 'tag');
      if (tag) this.toTag = tag;
    }
    const buf = serialize(res);
    // Only the first final response releases the request: its body and other headers are not
    // needed any more (Completed/Accepted/Confirmed resend lastResponse and match ACKs by key).
    if (res.status >= 200 && this.lastStatus < 200) this._request = transactionCopy(this._request);
    this.lastResponse = buf;
    this.lastStatus = res.status;
    this.sendBuf(buf);
  }

  protected retransmitLast(): void {
    if (!this.lastResponse) return;
    this.host.countRetransmitSent();
    this.sendBuf(this.lastResponse);
  }

  private sendBuf(buf: Buffer): void {
    this.host.send(buf, this.responseTarget, this.context.local, (err) => this.onTransportError(err), this.responseFallback);
  }
}
