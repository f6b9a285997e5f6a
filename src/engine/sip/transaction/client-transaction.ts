import type { Logger } from 'pino';
import { SipTransactionError } from '../errors';
import { transactionCopy } from '../message/create';
import type { SipRequest, SipResponse } from '../message/message';
import type { Endpoint } from '../transport/types';
import { isReliable } from '../transport/types';
import { Transaction } from './transaction';
import { TxState, type ClientTxEvents, type TransactionHost } from './types';

/**
 * Common part of the INVITE and non-INVITE client transactions (RFC 3261 17.1). The request is
 * sent once its destination has resolved; subclasses own the state machine and its timers.
 */
export abstract class ClientTransaction extends Transaction<ClientTxEvents> {
  readonly kind = 'client' as const;
  protected reliable = false;
  /** Resolved destination, once known. */
  protected dest?: Endpoint;
  protected wire?: Buffer;
  /** Where the request is (or will be) sent. Never rejects unobserved: a failure also emits 'transportError'. */
  readonly destination: Promise<Endpoint>;

  constructor(
    id: string,
    /** Table key per RFC 3261 17.1.3: branch + CSeq method. */
    key: string,
    request: SipRequest,
    destination: Promise<Endpoint>,
    host: TransactionHost,
    baseLogger: Logger,
    initial: TxState,
    serialize: (r: SipRequest) => Buffer,
  ) {
    super(id, key, request, host, baseLogger, initial);
    this.destination = destination;
    destination.then(
      (d) => {
        if (this._state === TxState.Terminated) return;
        this.dest = d;
        this.reliable = isReliable(d.transport);
        this.wire = serialize(request);
        this.sendWire();
        this.onSent();
      },
      (err: Error) => this.onTransportError(err),
    ).catch((err: unknown) => {
      // A throwing TU handler (or a request that cannot be serialized) must not become an
      // unhandled rejection.
      this.log.error({ err }, 'error while sending the request');
      try {
        this.onTransportError(err instanceof Error ? err : new Error(String(err)));
      } catch (e) {
        this.log.error({ err: e }, 'error in a transportError handler');
      }
    });
  }

  /** First transmission done: start the state's timers. */
  protected abstract onSent(): void;
  /** A response matched this transaction (RFC 3261 17.1.3). */
  abstract receiveResponse(res: SipResponse): void;

  /** RFC 3261 9.1 CANCEL; only INVITE client transactions support it. */
  cancel(_extraHeaders?: [string, string][]): Promise<SipResponse> {
    return Promise.reject(new SipTransactionError('ERR_SIP_NOT_INVITE', 'only INVITE transactions can be cancelled'));
  }

  /**
   * Called once the TU has seen the first final response: the request is never sent again, yet
   * the transaction lives on (Timer D / M: 64*T1, RFC 3261 17.1.1.2, RFC 6026 7.2) to absorb
   * retransmitted responses. Keeping only the request's identity lets its wire form, body and
   * other headers die young instead of being carried through every garbage collection.
   */
  protected settle(): void {
    this.wire = undefined;
    this._request = transactionCopy(this._request);
  }

  protected sendWire(): void {
    if (!this.wire || !this.dest) return;
    this.host.send(this.wire, this.dest, undefined, (err) => this.onTransportError(err));
  }

  protected retransmit(): void {
    this.host.countRetransmitSent();
    this.sendWire();
  }
}
