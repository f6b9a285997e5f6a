/**
 * The `batched` receive adapter: the sockets of every session on this thread live in one epoll
 * set, outside libuv, and the shared ticker drains them before the sessions release audio
 * (udp_batch.c says why). Per tick (ticker.ts, TICK_MS): one epoll_wait, one recvmmsg per ready socket, one
 * JS call, and a plain loop over one reused slab: no Buffer, event or closure per datagram.
 */
import { loadNative } from '../native';
import { sharedTicker, type Tickable } from '../ticker';
import type { DatagramHandler, RtpSocket, RtpSockets } from './sockets';

/** What dist/native/udp_batch.node exports (see udp_batch.c). */
interface UdpBatchAddon {
  open(host: string, port: number): [fd: number, port: number];
  poller(): number;
  watch(poller: number, fd: number): void;
  close(fd: number): void;
  drain(poller: number, slab: Buffer, slotSize: number, meta: Int32Array): number;
}

/** A slot per datagram: G.711 up to 500 ms a packet with a full header; longer is cut and counted malformed. */
export const SLOT_BYTES = 4096;
/** Datagrams per drain call (the addon's own cap is 1024); a full slab is drained again at once. */
const SLOTS = 256;
/**
 * Datagrams per tick at most, per open socket: more than a socket's kernel buffer holds of RTP
 * (rmem_default 208 KiB, about 270 datagrams of 20 ms G.711), so a tick after a stall reads
 * everything queued before the sessions release its time, while a flood still cannot hold the
 * thread in one tick.
 */
const PER_SOCKET = 512;

class BatchSockets implements RtpSockets, Tickable {
  readonly kind = 'batched';
  private poller = -1;
  /** Handler by file descriptor (small integers, reused after close). */
  private readonly handlers: (DatagramHandler | undefined)[] = [];
  private openCount = 0;
  private slab: Buffer | null = null;
  private readonly meta = new Int32Array(SLOTS * 4);
  private draining = false;

  constructor(private readonly addon: UdpBatchAddon) {}

  bind(host: string, port: number, onDatagram: DatagramHandler): Promise<RtpSocket> {
    try {
      if (this.poller < 0) this.poller = this.addon.poller();
      const [fd, bound] = this.addon.open(host, port);
      this.addon.watch(this.poller, fd);
      this.handlers[fd] = onDatagram;
      if (this.openCount++ === 0) sharedTicker.add(this, 'source');
      return Promise.resolve({ port: bound, close: once(() => this.release(fd)) });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  flush(): void {
    if (this.openCount > 0) this.tick();
  }

  /** @internal Driven by the shared ticker, before the sessions it feeds. */
  tick(): void {
    if (this.draining) return; // a handler closed a session mid-drain: the outer loop goes on
    this.draining = true;
    try {
      const slab = (this.slab ??= Buffer.allocUnsafe(SLOTS * SLOT_BYTES));
      const meta = this.meta;
      const limit = Math.max(SLOTS, this.openCount * PER_SOCKET);
      for (let taken = 0; taken < limit; ) {
        const n = this.addon.drain(this.poller, slab, SLOT_BYTES, meta);
        for (let i = 0; i < n; i++) this.deliver(slab, i);
        if (n < SLOTS) break;
        taken += n;
      }
    } finally {
      this.draining = false;
    }
  }

  private deliver(slab: Buffer, i: number): void {
    const m = i * 4;
    const h = this.handlers[this.meta[m]];
    if (h === undefined) return; // closed by an earlier handler of this drain
    const start = i * SLOT_BYTES;
    const len = this.meta[m + 1];
    try {
      h(slab, start, len < 0 ? -1 : start + len, this.meta[m + 2] / 1000);
    } catch {
      // A session's packet path does not throw; if one did, the other datagrams still go.
    }
  }

  private release(fd: number): void {
    if (this.handlers[fd] === undefined) return;
    this.tick(); // what the kernel already holds for this socket is delivered, not dropped
    this.handlers[fd] = undefined;
    this.addon.close(fd);
    if (--this.openCount === 0) sharedTicker.delete(this);
  }
}

let loaded: { sockets: BatchSockets | null; error: string | null } | undefined;

/** This thread's batched adapter, or why there is none (the addon was not built or loads not). */
export function loadBatchSockets(): { sockets: RtpSockets | null; error: string | null } {
  if (loaded === undefined) {
    const n = loadNative<UdpBatchAddon>('udp_batch');
    loaded = n.addon === null ? { sockets: null, error: n.error } : { sockets: new BatchSockets(n.addon), error: null };
  }
  return loaded;
}

/**
 * `fn` run on the first call only. A socket's close must be: the batched adapter knows a socket
 * by its descriptor number, which the kernel hands to the next socket opened, so a second close
 * would close another call's socket (node:dgram throws on it instead). Here, not in sockets.ts: this module
 * imports only types from there, so no require cycle.
 */
export function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
