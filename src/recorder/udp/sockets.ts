/**
 * The recorder's UDP receive port: where rtpengine's forked streams enter a recording session.
 * Two adapters: `batched` (udp_batch.c through batch.ts: epoll + recvmmsg, drained by the
 * ticker, kernel arrival times) and `dgram` (node:dgram, a callback per datagram). The session
 * sees only `RtpSockets`; which one runs is `recorder.receive`.
 */
import { createSocket } from 'node:dgram';
import { loadBatchSockets, once } from './batch';
import { RecorderConfigError } from '../errors';

/**
 * One datagram: buf[start, end) (end < 0: longer than the receiver takes, so cut; count it
 * malformed). ageMs: how long before this call it reached the host (0 where unknown), so its
 * place on the call's clock does not depend on when the thread got to it.
 */
export type DatagramHandler = (buf: Uint8Array, start: number, end: number, ageMs: number) => void;

export interface RtpSocket {
  readonly port: number;
  /** Delivers what is already queued (where the adapter can), then closes. Idempotent. */
  close(): void;
}

export interface RtpSockets {
  readonly kind: ReceiveKind;
  /** Delivers what is already queued on every socket of this adapter (a live read of the counters). */
  flush(): void;
  bind(host: string, port: number, onDatagram: DatagramHandler, onError: (err: Error) => void): Promise<RtpSocket>;
}

export type ReceiveKind = 'batched' | 'dgram';
export type ReceiveSetting = ReceiveKind | 'auto';

/** node:dgram: one 'message' event and Buffer per datagram; any size; arrival = when read. */
export const dgramSockets: RtpSockets = {
  kind: 'dgram',
  flush() {
    // node:dgram delivers from the event loop as datagrams come; nothing waits here.
  },
  bind(host, port, onDatagram, onError) {
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
      s.once('error', reject);
      s.bind(port, host, () => {
        s.off('error', reject);
        s.on('error', onError);
        s.on('message', (msg) => onDatagram(msg, 0, msg.length, 0));
        resolve({ port: s.address().port, close: once(() => s.close()) });
      });
    });
  },
};

/**
 * The adapter for a setting: `auto` is `batched` where its addon was built (dist/native), else
 * `dgram`; `batched` without the addon is a configuration error, said at start.
 */
export function rtpSockets(setting: ReceiveSetting = 'auto'): RtpSockets {
  if (setting === 'dgram') return dgramSockets;
  const batched = loadBatchSockets();
  if (batched.sockets !== null) return batched.sockets;
  if (setting === 'batched') throw new RecorderConfigError(`recorder.receive "batched": ${batched.error}`);
  return dgramSockets;
}

/** Why `auto` falls back to node:dgram on this machine (null: it does not). */
export function batchedUnavailable(): string | null {
  return loadBatchSockets().error;
}
