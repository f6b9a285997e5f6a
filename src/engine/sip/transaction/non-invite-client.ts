import { SipTransactionError } from '../errors';
import type { SipResponse } from '../message/message';
import { ClientTransaction } from './client-transaction';
import { TxState } from './types';

/** RFC 3261 17.1.2 non-INVITE client transaction: Trying -> Proceeding -> Completed -> Terminated. */
export class NonInviteClientTransaction extends ClientTransaction {
  private interval = 0;

  protected onSent(): void {
    const t = this.host.timers;
    // Timer E (unreliable only): T1, doubling, capped at T2. Timer F: 64*T1 overall.
    if (!this.reliable) {
      this.interval = t.t1;
      this.timers.start('E', t.t1, () => this.onTimerE());
    }
    this.timers.start('F', 64 * t.t1, () => {
      this.safeEmit('timeout');
      this.terminate();
    });
  }

  private onTimerE(): void {
    if (this._state !== TxState.Trying && this._state !== TxState.Proceeding) return;
    this.retransmit();
    // In Proceeding retransmissions happen every T2 (RFC 3261 17.1.2.2).
    this.interval = this._state === TxState.Proceeding ? this.host.timers.t2 : Math.min(2 * this.interval, this.host.timers.t2);
    this.timers.start('E', this.interval, () => this.onTimerE());
  }

  receiveResponse(res: SipResponse): void {
    const s = this._state;
    if (s === TxState.Trying || s === TxState.Proceeding) {
      if (res.status < 200) {
        this.transition(TxState.Proceeding);
        this.safeEmit('response', res);
      } else {
        this.transition(TxState.Completed);
        this.safeEmit('response', res);
        // Timer K is zero for reliable transports: done once the TU has seen the response.
        if (this.reliable) this.terminate();
        else this.settle();
      }
      return;
    }
    // Completed: retransmitted finals are absorbed (RFC 3261 17.1.2.2).
    this.host.countAbsorbed();
  }

  private transition(to: TxState): void {
    const from = this._state;
    if (from === to) return;
    const ok = (from === TxState.Trying && (to === TxState.Proceeding || to === TxState.Completed)) ||
      (from === TxState.Proceeding && to === TxState.Completed) || to === TxState.Terminated;
    if (!ok) throw new SipTransactionError('ERR_SIP_BAD_STATE', `non-INVITE client transaction: ${from} -> ${to}`);
    if (to === TxState.Terminated) {
      this.terminate();
      return;
    }
    this._state = to;
    if (to === TxState.Completed) {
      this.timers.stop('E');
      this.timers.stop('F');
      // Timer K: T4 for unreliable transports, zero for reliable ones.
      if (!this.reliable) this.timers.start('K', this.host.timers.t4, () => this.terminate());
    }
  }
}
