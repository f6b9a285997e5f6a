import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { createServer, connect, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { SipTransportError, type SipParseError } from '../errors';
import type { SipMessage } from '../message/message';
import { parseMessage, type ParseLimits } from '../message/parser';
import { connKey, normalizeAddress, TcpConnection } from './tcp-connection';
import type { Endpoint, InboundContext, ListenSpec, TransportName } from './types';

export interface TransportHandlers {
  onMessage(msg: SipMessage, ctx: InboundContext): void;
  onMalformed(error: SipParseError, ctx: InboundContext): void;
}

export interface TransportOptions {
  listen: readonly ListenSpec[];
  limits: ParseLimits;
  /** Close TCP connections idle this long. */
  idleTimeoutMs: number;
  /** Accepted connections per TCP listener; more are refused (bounded memory under a flood). */
  maxConnections: number;
  /** A partially received message must complete within this long, else the connection closes. */
  partialMessageTimeoutMs: number;
  logger: Logger;
}

const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

interface UdpListener { socket: UdpSocket; local: Endpoint; spec: ListenSpec }
interface TcpListener { server: Server; local: Endpoint; spec: ListenSpec }

/**
 * UDP and TCP listeners plus outbound TCP connections (RFC 3261 section 18). Thin I/O: parsing is
 * done by the pure parser/framer, and every message goes to the handlers with its context.
 */
export class TransportLayer {
  private udp: UdpListener[] = [];
  private tcp: TcpListener[] = [];
  private conns = new Map<string, TcpConnection>();
  private closed = false;

  constructor(private readonly opts: TransportOptions, private readonly handlers: TransportHandlers) {}

  async start(): Promise<void> {
    for (const spec of this.opts.listen) {
      const wantUdp = spec.transports.includes('udp');
      const wantTcp = spec.transports.includes('tcp');
      // Port 0 with both transports: use the same port for UDP and TCP (retry on a clash).
      for (let attempt = 0; ; attempt++) {
        let udp: UdpListener | undefined;
        try {
          let port = spec.port;
          if (wantUdp) {
            udp = await this.bindUdp(spec, port);
            port = udp.local.port;
          }
          const tcp = wantTcp ? await this.listenTcp(spec, port) : undefined;
          if (udp) this.udp.push(udp);
          if (tcp) this.tcp.push(tcp);
          break;
        } catch (err) {
          if (udp) udp.socket.close();
          if (spec.port !== 0 || !wantUdp || attempt >= 20) {
            await this.close();
            throw err;
          }
        }
      }
    }
  }

  private bindUdp(spec: ListenSpec, port: number): Promise<UdpListener> {
    return new Promise((resolve, reject) => {
      // Large kernel buffers absorb bursts while the event loop is busy (the kernel caps them
      // at net.core.rmem_max / wmem_max); drops there would turn into retransmissions.
      const socket = createSocket({
        type: isIPv6(spec.host) ? 'udp6' : 'udp4', reuseAddr: false,
        recvBufferSize: UDP_BUFFER_BYTES, sendBufferSize: UDP_BUFFER_BYTES,
      });
      socket.once('error', reject);
      socket.bind(port, spec.host, () => {
        socket.off('error', reject);
        const local: Endpoint = { transport: 'udp', address: spec.host, port: socket.address().port };
        socket.on('error', (err) => this.opts.logger.warn({ err }, 'udp socket error'));
        socket.on('message', (buf: Buffer, rinfo: RemoteInfo) => this.onDatagram(buf, rinfo, local));
        resolve({ socket, local, spec });
      });
    });
  }

  private listenTcp(spec: ListenSpec, port: number): Promise<TcpListener> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.maxConnections = this.opts.maxConnections;
      server.once('error', reject);
      server.listen(port, spec.host, () => {
        server.off('error', reject);
        const addr = server.address();
        const local: Endpoint = { transport: 'tcp', address: spec.host, port: typeof addr === 'object' && addr ? addr.port : port };
        server.on('error', (err) => this.opts.logger.warn({ err }, 'tcp server error'));
        server.on('connection', (s) => this.onAccept(s, local));
        resolve({ server, local, spec });
      });
    });
  }

  private onDatagram(buf: Buffer, rinfo: RemoteInfo, local: Endpoint): void {
    // RFC 5626 keep-alives over UDP are CRLF-only datagrams: ignore them.
    if (buf.length > 0 && buf.length <= 4 && buf.every((b) => b === 0x0d || b === 0x0a)) return;
    const ctx: InboundContext = { source: { transport: 'udp', address: normalizeAddress(rinfo.address), port: rinfo.port }, local };
    const r = parseMessage(buf, this.opts.limits);
    if (r.ok) this.handlers.onMessage(r.message, ctx);
    else this.handlers.onMalformed(r.error, ctx);
  }

  private onAccept(socket: Socket, local: Endpoint): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const remote: Endpoint = { transport: 'tcp', address: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    this.addConnection(socket, remote, local, false);
  }

  private addConnection(socket: Socket, remote: Endpoint, local: Endpoint, connecting: boolean): TcpConnection {
    const conn = new TcpConnection(socket, remote, local, this.opts.limits, this.opts.idleTimeoutMs, {
      onMessage: (m, c) => this.handlers.onMessage(m, c),
      onMalformed: (e, c) => this.handlers.onMalformed(e, c),
      onClosed: (c) => { if (this.conns.get(c.key) === c) this.conns.delete(c.key); },
    }, connecting, this.opts.partialMessageTimeoutMs);
    const old = this.conns.get(conn.key);
    if (old && old !== conn) old.destroy();
    this.conns.set(conn.key, conn);
    return conn;
  }

  listeners(): Endpoint[] {
    return [...this.udp.map((u) => u.local), ...this.tcp.map((t) => t.local)];
  }

  /** The listener to send from / advertise for a transport and address family. */
  localFor(transport: TransportName, destAddress?: string): { local: Endpoint; spec: ListenSpec } | undefined {
    const list: (UdpListener | TcpListener)[] = transport === 'udp' ? this.udp : this.tcp;
    const v6 = destAddress !== undefined && isIPv6(destAddress);
    const pick = list.find((l) => isIPv6(l.spec.host) === v6) ?? list[0];
    return pick ? { local: pick.local, spec: pick.spec } : undefined;
  }

  /** Number of open TCP connections (tests, stats). */
  connectionCount(): number {
    return this.conns.size;
  }

  /**
   * Sends bytes. UDP goes out of `local` (the listener a request came in on) or the first
   * listener of the family. TCP reuses an open connection to dest (RFC 3261 18.2.2: responses on
   * the connection the request came on) or opens one; `fallback` is used instead when dest has
   * no open connection. Errors go to onError, never thrown.
   */
  send(data: Buffer, dest: Endpoint, local?: Endpoint, onError?: (err: Error) => void, fallback?: Endpoint): void {
    if (this.closed) {
      onError?.(new SipTransportError('ERR_SIP_CLOSED', 'transport closed'));
      return;
    }
    if (dest.transport === 'udp') {
      const l = (local && this.udp.find((u) => u.local === local || (u.local.address === local.address && u.local.port === local.port))) ??
        this.udpFor(dest.address);
      if (!l) {
        onError?.(new SipTransportError('ERR_SIP_NO_TRANSPORT', 'no UDP listener'));
        return;
      }
      l.socket.send(data, dest.port, dest.address, (err) => { if (err) onError?.(err); });
      return;
    }
    let key = connKey(dest.address, dest.port);
    let conn = this.conns.get(key);
    if ((!conn || conn.isClosed) && fallback) {
      // RFC 3261 18.2.2: the connection a request came on is gone; a response then goes to a
      // new connection at received (or sent-by) and the sent-by port.
      dest = fallback;
      key = connKey(dest.address, dest.port);
      conn = this.conns.get(key);
    }
    if (!conn || conn.isClosed) {
      const l = this.localFor('tcp', dest.address);
      if (!l) {
        onError?.(new SipTransportError('ERR_SIP_NO_TRANSPORT', 'no TCP listener'));
        return;
      }
      const socket = connect({ host: dest.address, port: dest.port });
      conn = this.addConnection(socket, { transport: 'tcp', address: dest.address, port: dest.port }, l.local, true);
    }
    conn.write(data, onError);
  }

  private udpFor(address: string): UdpListener | undefined {
    const v6 = isIPv6(address);
    return this.udp.find((u) => isIPv6(u.spec.host) === v6) ?? this.udp[0];
  }

  /** Idempotent: closes listeners and every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.conns.values()]) c.destroy();
    this.conns.clear();
    await Promise.all([
      ...this.udp.map((u) => new Promise<void>((r) => { try { u.socket.close(() => r()); } catch { r(); } })),
      ...this.tcp.map((t) => new Promise<void>((r) => t.server.close(() => r()))),
    ]);
    this.udp = [];
    this.tcp = [];
  }
}
