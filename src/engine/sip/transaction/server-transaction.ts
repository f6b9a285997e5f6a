import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { serialize } from '../message/serializer';
import { getHeaderParam } from '../message/params';
import type { SipRequest, SipResponse } from '../message/message';
import type { Endpoint, InboundContext } from '../transport/types';
import { isReliable } from '../transport/types';
import { TimerSet } from './timers';
import { TxState, type ServerTxEvents, type TransactionHost } from './types';

/**
 * Common part of the INVITE and non-INVITE server transactions (RFC 3261 17.2). Subclasses own
 * the state machine: their transition() is the only place that changes state and starts timers.
 */
export abstract class ServerTransaction extends EventEmitter<ServerTxEvents> {
  readonly kind = 'server' as const;
  protected _state: TxState;
  protected readonly timers = new TimerSet((err) => this.log.error({ err }, 'error in transaction timer'));
  protected readonly reliable: boolean;
  /** Last response sent, serialized: retransmitted when the request is retransmitted. */
  protected lastResponse: Buffer | null = null;
  protected lastStatus = 0;
  /** Reliable transports: where responses go if the request's connection has closed (RFC 3261 18.2.2). */
  responseFallback?: Endpoint;
  /** To tag of the responses we sent (reused for a stack-generated 487). */
  toTag?: string;
  private _log?: Logger;

  constructor(
    readonly id: string,
    /** Table key per RFC 3261 17.2.3 (branch + sent-by + method). */
    readonly key: string,
    readonly request: SipRequest,
    readonly context: InboundContext,
    /** Where responses go (RFC 3261 18.2.2), computed once from the top Via. */
    readonly responseTarget: Endpoint,
    protected readonly host: TransactionHost,
    private readonly baseLogger: Logger,
    initial: TxState,
  ) {
    super();
    this._state = initial;
    this.reliable = isReliable(context.source.transport);
  }

  get state(): TxState {
    return this._state;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** Final response status sent so far (0 if none). */
  get finalStatus(): number {
    return this.lastStatus >= 200 ? this.lastStatus : 0;
  }

  /** Child logger, created on first use so the hot path does not pay for it. */
  protected get log(): Logger {
    return (this._log ??= this.baseLogger.child({ tx: this.id, callId: this.request.headers.get('call-id'), method: this.request.method }));
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

  /** RFC 3261 17.2.4: a transport failure is reported to the TU and ends the transaction. */
  protected onTransportError(err: Error): void {
    if (this._state === TxState.Terminated) return;
    this.log.warn({ err: err.message }, 'transport error sending response');
    this.safeEmit('transportError', err);
    this.terminate();
  }

  /** Emits to the TU; a throwing handler is logged, never unwinds into the state machine. */
  protected safeEmit<K extends keyof ServerTxEvents>(event: K, ...args: ServerTxEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ServerTxEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'error in a transaction event handler');
    }
  }

  /** Idempotent: clears all timers, forgets the transaction, emits 'terminated' once. */
  terminate(): void {
    if (this._state === TxState.Terminated) return;
    this._state = TxState.Terminated;
    this.timers.clear();
    this.onTerminate();
    this.host.forget(this);
    this.safeEmit('terminated');
  }

  protected onTerminate(): void {
    /* subclasses release extra registrations */
  }
}
