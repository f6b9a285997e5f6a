import { SipTransactionError } from '../errors';
import { Headers } from '../message/headers';
import { SipRequest, type SipResponse } from '../message/message';
import { serialize } from '../message/serializer';
import { ClientTransaction } from './client-transaction';
import { TxState } from './types';

interface PendingCancel {
  extra?: [string, string][];
  resolve: (r: SipResponse) => void;
  reject: (e: Error) => void;
}

/**
 * RFC 3261 17.1.1 INVITE client transaction with RFC 6026's Accepted state:
 * Calling -(1xx)-> Proceeding -(2xx)-> Accepted -(Timer M)-> Terminated
 *         -(300-699)-> Completed (ACK sent here) -(Timer D)-> Terminated
 *         -(Timer B)-> Terminated ('timeout')
 */
export class InviteClientTransaction extends ClientTransaction {
  private interval = 0;
  private ackWire?: Buffer;
  private pendingCancels: PendingCancel[] = [];
  /** Outcome of the CANCEL once sent (one CANCEL per INVITE, RFC 3261 9.1). */
  private cancelOutcome?: Promise<SipResponse>;

  protected onSent(): void {
    const t = this.host.timers;
    // Timer A (unreliable only): starts at T1 and doubles (uncapped, RFC 3261 17.1.1.2).
    if (!this.reliable) {
      this.interval = t.t1;
      this.timers.start('A', t.t1, () => this.onTimerA());
    }
    // Timer B: 64*T1 without any response.
    this.timers.start('B', 64 * t.t1, () => {
      this.log.debug('Timer B fired');
      this.safeEmit('timeout');
      this.terminate();
    });
  }

  private onTimerA(): void {
    if (this._state !== TxState.Calling) return;
    this.retransmit();
    this.interval *= 2;
    this.timers.start('A', this.interval, () => this.onTimerA());
  }

  receiveResponse(res: SipResponse): void {
    const s = this._state;
    const st = res.status;
    if (s === TxState.Calling || s === TxState.Proceeding) {
      if (st < 200) {
        this.transition(TxState.Proceeding);
        this.safeEmit('response', res);
        this.flushCancels();
      } else if (st < 300) {
        this.transition(TxState.Accepted);
        this.safeEmit('response', res);
        this.settle();
      } else {
        this.ackWire = serialize(this.buildAck(res));
        this.transition(TxState.Completed);
        this.safeEmit('response', res);
        this.settle();
      }
      return;
    }
    if (s === TxState.Accepted && st >= 200 && st < 300) {
      // RFC 6026 7.2: retransmitted or forked 2xx go to the TU, which (re)sends its ACK.
      this.safeEmit('response', res);
      return;
    }
    if (s === TxState.Completed && st >= 300) {
      // Retransmitted final: absorbed, the ACK is sent again (RFC 3261 17.1.1.2).
      this.host.countAbsorbed();
      this.sendAck();
      return;
    }
    this.host.countAbsorbed();
  }

  /**
   * RFC 3261 17.1.1.3: the ACK for a non-2xx final response belongs to this transaction: same
   * Request-URI, Call-ID, From, CSeq number, the response's To (with its tag), the original's top
   * Via only, and its Route headers.
   */
  private buildAck(res: SipResponse): SipRequest {
    const orig = this.request.headers;
    const h = new Headers();
    const via = orig.get('via');
    if (via) h.append('Via', via);
    h.append('Max-Forwards', '70');
    for (const r of orig.getAll('route')) h.append('Route', r);
    h.append('From', orig.get('from') ?? '');
    h.append('To', res.headers.get('to') ?? orig.get('to') ?? '');
    h.append('Call-ID', orig.get('call-id') ?? '');
    h.append('CSeq', `${parseInt(orig.get('cseq') ?? '0', 10)} ACK`);
    return new SipRequest('ACK', this.request.uri, h);
  }

  private sendAck(): void {
    if (!this.ackWire || !this.dest) return;
    this.host.send(this.ackWire, this.dest, undefined, (err) => this.onTransportError(err));
  }

  /**
   * RFC 3261 9.1: the CANCEL is only sent once a provisional response has arrived; until then it
   * waits. Resolves with the CANCEL's final response.
   */
  override cancel(extraHeaders?: [string, string][]): Promise<SipResponse> {
    const s = this._state;
    if (s !== TxState.Calling && s !== TxState.Proceeding) {
      return Promise.reject(new SipTransactionError('ERR_SIP_ALREADY_FINAL', `cannot CANCEL in state ${s}`));
    }
    return new Promise((resolve, reject) => {
      this.pendingCancels.push({ extra: extraHeaders, resolve, reject });
      if (s === TxState.Proceeding) this.flushCancels();
    });
  }

  private flushCancels(): void {
    if (this.pendingCancels.length === 0 || !this.dest) return;
    const waiting = this.pendingCancels;
    this.pendingCancels = [];
    if (this.cancelOutcome) {
      // A second cancel() while one is in flight: it shares the outcome of the first.
      this.cancelOutcome.then((r) => waiting.forEach((w) => w.resolve(r)), (e: Error) => waiting.forEach((w) => w.reject(e)));
      return;
    }
    const req = this.buildCancel(waiting[0].extra);
    const tx = this.host.sendCancel(req, this.dest);
    this.cancelOutcome = new Promise<SipResponse>((resolve, reject) => {
      tx.on('response', (r) => { if (r.status >= 200) resolve(r); });
      tx.on('timeout', () => reject(new SipTransactionError('ERR_SIP_TIMEOUT', 'CANCEL timed out')));
      tx.on('transportError', () => reject(new SipTransactionError('ERR_SIP_TIMEOUT', 'CANCEL could not be sent')));
    });
    this.cancelOutcome.catch(() => undefined);
    this.cancelOutcome.then((r) => waiting.forEach((w) => w.resolve(r)), (e: Error) => waiting.forEach((w) => w.reject(e)));
  }

  /** RFC 3261 9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via; Route copied. */
  private buildCancel(extra?: [string, string][]): SipRequest {
    const orig = this.request.headers;
    const h = new Headers();
    const via = orig.get('via');
    if (via) h.append('Via', via);
    h.append('Max-Forwards', '70');
    for (const r of orig.getAll('route')) h.append('Route', r);
    h.append('From', orig.get('from') ?? '');
    h.append('To', orig.get('to') ?? '');
    h.append('Call-ID', orig.get('call-id') ?? '');
    h.append('CSeq', `${parseInt(orig.get('cseq') ?? '0', 10)} CANCEL`);
    for (const [n, v] of extra ?? []) h.append(n, v);
    return new SipRequest('CANCEL', this.request.uri, h);
  }

  private transition(to: TxState): void {
    const from = this._state;
    if (from === to) return;
    const ok = (from === TxState.Calling && (to === TxState.Proceeding || to === TxState.Completed || to === TxState.Accepted)) ||
      (from === TxState.Proceeding && (to === TxState.Completed || to === TxState.Accepted)) || to === TxState.Terminated;
    if (!ok) throw new SipTransactionError('ERR_SIP_BAD_STATE', `INVITE client transaction: ${from} -> ${to}`);
    if (to === TxState.Terminated) {
      this.terminate();
      return;
    }
    this._state = to;
    const t = this.host.timers;
    this.timers.stop('A');
    this.timers.stop('B');
    if (to === TxState.Completed) {
      this.sendAck();
      // Timer D: 64*T1 (>= 32 s with the default T1) for unreliable, zero for reliable.
      if (this.reliable) queueMicrotask(() => this.terminate());
      else this.timers.start('D', 64 * t.t1, () => this.terminate());
    } else if (to === TxState.Accepted) {
      // Timer M (RFC 6026 7.2): keep absorbing / passing up 2xx for 64*T1.
      this.timers.start('M', 64 * t.t1, () => this.terminate());
    }
    if (to !== TxState.Proceeding) this.settleCancels();
  }

  /** A final response (or the end) arrived before a deferred CANCEL could be sent. */
  private settleCancels(): void {
    const waiting = this.pendingCancels;
    this.pendingCancels = [];
    for (const w of waiting) w.reject(new SipTransactionError('ERR_SIP_ALREADY_FINAL', 'final response arrived before the CANCEL was sent'));
  }

  protected override onTerminate(): void {
    const waiting = this.pendingCancels;
    this.pendingCancels = [];
    for (const w of waiting) w.reject(new SipTransactionError('ERR_SIP_TERMINATED', 'INVITE transaction ended before the CANCEL was sent'));
  }
}
