import { SipTransactionError } from '../errors';
import type { SipResponse } from '../message/message';
import { ServerTransaction } from './server-transaction';
import { TxState } from './types';

/** RFC 3261 17.2.2 non-INVITE server transaction: Trying -> Proceeding -> Completed -> Terminated. */
export class NonInviteServerTransaction extends ServerTransaction {
  /**
   * Not an RFC timer: the client gives up after 64*T1 (Timer F), so a request the TU never
   * answers is dropped then instead of staying in the table forever.
   */
  armGuard(): void {
    this.timers.start('guard', 64 * this.host.timers.t1, () => {
      this.log.debug('no final response from the TU within 64*T1');
      this.safeEmit('timeout');
      this.terminate();
    });
  }

  respond(res: SipResponse): void {
    const s = this._state;
    if (s !== TxState.Trying && s !== TxState.Proceeding) {
      this.log.debug({ status: res.status, state: s }, 'response after final ignored');
      return;
    }
    this.transmit(res);
    this.transition(res.status < 200 ? TxState.Proceeding : TxState.Completed);
  }

  receiveRetransmission(): void {
    this.host.countAbsorbed();
    // Trying: absorbed silently; Proceeding/Completed: the last response is sent again.
    if (this._state === TxState.Proceeding || this._state === TxState.Completed) this.retransmitLast();
  }

  private transition(to: TxState): void {
    const from = this._state;
    if (to === from) return;
    const ok = (from === TxState.Trying && (to === TxState.Proceeding || to === TxState.Completed)) ||
      (from === TxState.Proceeding && to === TxState.Completed) || to === TxState.Terminated;
    if (!ok) throw new SipTransactionError('ERR_SIP_BAD_STATE', `non-INVITE server transaction: ${from} -> ${to}`);
    if (to === TxState.Terminated) {
      this.terminate();
      return;
    }
    this._state = to;
    if (to === TxState.Completed) {
      this.timers.stop('guard');
      // Timer J: 64*T1 for unreliable transports, zero for reliable ones (RFC 3261 17.2.2).
      if (this.reliable) this.terminate();
      else this.timers.start('J', 64 * this.host.timers.t1, () => this.transition(TxState.Terminated));
    }
  }
}
