import type { SipRequest, SipResponse } from '../message/message';
import type { Endpoint } from '../transport/types';

/** Transaction states of RFC 3261 section 17 plus Accepted from RFC 6026. */
export enum TxState {
  Calling = 'calling',
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
  Confirmed = 'confirmed',
  Accepted = 'accepted',
  Terminated = 'terminated',
}

/** Timer values (ms) a transaction needs, from config (RFC 3261 17.1.1.1 table 4). */
export interface TimerConfig {
  t1: number;
  t2: number;
  t4: number;
}

/** What transactions need from the stack: sending, counting, and being forgotten. */
export interface TransactionHost {
  readonly timers: TimerConfig;
  /** Sends bytes; transport errors come back through onError. */
  send(data: Buffer, dest: Endpoint, local: Endpoint | undefined, onError: (err: Error) => void, fallback?: Endpoint): void;
  countRetransmitSent(): void;
  countAbsorbed(): void;
  /** Called once when a transaction reaches Terminated: drop it from the tables. */
  forget(tx: { readonly key: string; readonly kind: 'server' | 'client' }): void;
  /** An INVITE server transaction entered Accepted: ACKs match it by this dialog key. */
  registerAccepted(dialogKey: string, tx: unknown): void;
  unregisterAccepted(dialogKey: string, tx: unknown): void;
  /** Starts a non-INVITE client transaction for a CANCEL reusing the INVITE's Via (RFC 3261 9.1). */
  sendCancel(cancel: SipRequest, dest: Endpoint): { on(ev: 'response', l: (r: SipResponse) => void): unknown; on(ev: 'timeout' | 'transportError', l: () => void): unknown };
}

export type ServerTxEvents = {
  cancel: [cancelRequest: SipRequest];
  ack: [ack: SipRequest];
  ackTimeout: [];
  timeout: [];
  transportError: [err: Error];
  terminated: [];
};

export type ClientTxEvents = {
  response: [res: SipResponse];
  timeout: [];
  transportError: [err: Error];
  terminated: [];
};
