import { SipTransactionError } from '../errors';
import { createResponse } from '../message/create';
import type { SipRequest, SipResponse } from '../message/message';
import { ServerTransaction } from './server-transaction';
import { TxState } from './types';
import { dialogAckKey } from './keys';

/**
 * RFC 3261 17.2.1 INVITE server transaction with RFC 6026's Accepted state:
 * Proceeding -(1xx)-> Proceeding -(2xx)-> Accepted -(Timer L)-> Terminated
 *            -(300-699)-> Completed -(ACK)-> Confirmed -(Timer I)-> Terminated
 *                                   -(Timer H)-> Terminated ('timeout')
 * In Accepted the stack itself retransmits the 2xx until the ACK arrives (RFC 3261 13.3.1.4).
 */
export class InviteServerTransaction extends ServerTransaction {
  private ackReceived = false;
  private dialogKey?: string;
  private retransmitInterval = 0;
  /** Set by the stack: called once when the transaction stops pending (Accepted, Confirmed or Terminated). */
  releasePending?: () => void;

  respond(res: SipResponse): void {
    const s = this._state;
    if (s === TxState.Proceeding) {
      this.transmit(res);
      if (res.status >= 300) this.transition(TxState.Completed);
      else if (res.status >= 200) this.transition(TxState.Accepted);
      return;
    }
    if (s === TxState.Accepted && res.status >= 200 && res.status < 300) {
      // RFC 6026 8.5: further 2xx from the TU are sent (they are the TU's retransmissions).
      this.transmit(res);
      return;
    }
    this.log.debug({ status: res.status, state: s }, 'response in this state ignored');
  }

  receiveRetransmission(): void {
    this.host.countAbsorbed();
    // Proceeding: resend the last provisional; Completed: resend the final (RFC 3261 17.2.1).
    // Accepted: RFC 6026 absorbs the INVITE (the 2xx is retransmitted by its own timer).
    if (this._state === TxState.Proceeding || this._state === TxState.Completed) this.retransmitLast();
  }

  /** An ACK matched this transaction (by branch for non-2xx, by dialog key for 2xx). */
  receiveAck(ack: SipRequest): void {
    if (this._state === TxState.Completed) {
      this.transition(TxState.Confirmed);
      return;
    }
    if (this._state === TxState.Accepted && !this.ackReceived) {
      this.ackReceived = true;
      this.timers.stop('2xx');
      // The 2xx is not retransmitted any more (RFC 6026 7.1: Accepted absorbs the INVITE).
      this.lastResponse = null;
      this.safeEmit('ack', ack);
      return;
    }
    this.host.countAbsorbed();
  }

  /**
   * A CANCEL matched this INVITE (RFC 3261 9.2). Without a final response yet, the INVITE gets
   * 487 and the TU is told; returns whether that happened.
   */
  cancel(cancelRequest: SipRequest): boolean {
    if (this._state !== TxState.Proceeding) return false;
    this.respond(createResponse(this.request, 487, undefined, this.toTag));
    this.safeEmit('cancel', cancelRequest);
    return true;
  }

  private transition(to: TxState): void {
    const from = this._state;
    const t = this.host.timers;
    const ok = (from === TxState.Proceeding && (to === TxState.Completed || to === TxState.Accepted)) ||
      (from === TxState.Completed && to === TxState.Confirmed) || to === TxState.Terminated;
    if (!ok) throw new SipTransactionError('ERR_SIP_BAD_STATE', `INVITE server transaction: ${from} -> ${to}`);
    if (to === TxState.Terminated) {
      this.terminate();
      return;
    }
    this._state = to;
    if (to === TxState.Accepted || to === TxState.Confirmed) this.releasePending?.();
    switch (to) {
      case TxState.Completed:
        // Timer G (unreliable only): T1 doubling, capped at T2. Timer H: 64*T1 waiting for the ACK.
        if (!this.reliable) {
          this.retransmitInterval = t.t1;
          this.timers.start('G', t.t1, () => this.onTimerG());
        }
        this.timers.start('H', 64 * t.t1, () => {
          this.log.debug('Timer H: no ACK for the final response');
          this.safeEmit('timeout');
          this.terminate();
        });
        break;
      case TxState.Confirmed:
        this.timers.stop('G');
        this.timers.stop('H');
        // Timer I: T4 for unreliable, zero for reliable transports.
        if (this.reliable) this.terminate();
        else this.timers.start('I', t.t4, () => this.transition(TxState.Terminated));
        break;
      case TxState.Accepted: {
        const callId = this.request.headers.get('call-id') ?? '';
        const cseq = parseInt(this.request.headers.get('cseq') ?? '0', 10);
        this.dialogKey = dialogAckKey(callId, cseq, this.toTag ?? '');
        this.host.registerAccepted(this.dialogKey, this);
        // 2xx retransmission (RFC 3261 13.3.1.4): T1 doubling up to T2, until the ACK arrives.
        this.retransmitInterval = t.t1;
        this.timers.start('2xx', t.t1, () => this.on2xxTimer());
        // Timer L (RFC 6026 8.7): 64*T1 in Accepted.
        this.timers.start('L', 64 * t.t1, () => {
          if (!this.ackReceived) {
            this.log.info('no ACK for 2xx within 64*T1');
            this.safeEmit('ackTimeout');
          }
          this.terminate();
        });
        break;
      }
      default:
        break;
    }
  }

  private onTimerG(): void {
    this.retransmitLast();
    this.retransmitInterval = Math.min(2 * this.retransmitInterval, this.host.timers.t2);
    this.timers.start('G', this.retransmitInterval, () => this.onTimerG());
  }

  private on2xxTimer(): void {
    this.retransmitLast();
    this.retransmitInterval = Math.min(2 * this.retransmitInterval, this.host.timers.t2);
    this.timers.start('2xx', this.retransmitInterval, () => this.on2xxTimer());
  }

  protected override onTerminate(): void {
    this.releasePending?.();
    if (this.dialogKey) this.host.unregisterAccepted(this.dialogKey, this);
  }
}
