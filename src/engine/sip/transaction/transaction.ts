import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SipRequest } from '../message/message';
import { TimerSet } from './timers';
import { TxState, type TransactionHost } from './types';

/** Events every transaction emits, whatever its kind. */
type CommonTxEvents = { transportError: [err: Error]; terminated: [] };

/**
 * What the four RFC 3261 section 17 transactions share: state, timers, the table key, the lazy
 * per-transaction logger, guarded emits and the one idempotent way to end. Subclasses own the
 * state machine (their transition() is the only place that changes state and starts timers).
 */
export abstract class Transaction<E extends CommonTxEvents & Record<keyof E, unknown[]>> extends EventEmitter<E> {
  abstract readonly kind: 'client' | 'server';
  protected _state: TxState;
  protected _request: SipRequest;
  protected readonly timers = new TimerSet((err) => this.log.error({ err }, 'error in transaction timer'));
  private _log?: Logger;

  constructor(
    readonly id: string,
    /** Table key per RFC 3261 17.1.3 (client: branch + CSeq method) or 17.2.3 (server: branch + sent-by + method). */
    readonly key: string,
    request: SipRequest,
    protected readonly host: TransactionHost,
    private readonly baseLogger: Logger,
    initial: TxState,
  ) {
    super();
    this._state = initial;
    this._request = request;
  }

  get state(): TxState {
    return this._state;
  }

  /** The request (server transactions keep only its identity headers once a final response is out). */
  get request(): SipRequest {
    return this._request;
  }

  /** Child logger, created on first use so the hot path does not pay for it. */
  protected get log(): Logger {
    return (this._log ??= this.baseLogger.child({ tx: this.id, callId: this.request.headers.get('call-id'), method: this.request.method }));
  }

  /** RFC 3261 17.1.4 / 17.2.4: a transport failure is reported to the TU and ends the transaction. */
  protected onTransportError(err: Error): void {
    if (this._state === TxState.Terminated) return;
    this.log.warn({ err: err.message, kind: this.kind }, 'transport error');
    this.safeEmit('transportError', ...([err] as CommonTxEvents['transportError'] as E['transportError']));
    this.terminate();
  }

  /** Emits to the TU; a throwing handler is logged, never unwinds into the state machine. */
  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    try {
      (this.emit as unknown as (e: K, ...a: E[K]) => boolean).call(this, event, ...args);
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
    this.safeEmit('terminated', ...([] as CommonTxEvents['terminated'] as E['terminated']));
  }

  /** Subclasses settle pending work or release extra registrations here. */
  protected onTerminate(): void {
    /* nothing by default */
  }
}
