import { createSocket, type Socket as UdpSocket, type RemoteInfo, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { createServer, connect, isIP, isIPv6, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { SipTransportError, type SipParseError } from '../errors';
import type { SipMessage } from '../message/message';
import { parseMessage, type ParseLimits } from '../message/parser';
import { connKey, normalizeAddress, TcpConnection } from './tcp-connection';
import { aliasEndpoints } from './aliases';
import { classifyTlsError, clientCertFailure, clientOptions, loadTlsMaterial, serverOptions, type TlsFailureReason, type TlsMaterial, type TlsSettings } from './tls';
import type { Endpoint, InboundContext, ListenSpec, StreamTransport, TransportName } from './types';

export interface TransportHandlers {
  onMessage(msg: SipMessage, ctx: InboundContext): void;
  onMalformed(error: SipParseError, ctx: InboundContext): void;
  /** A TLS handshake failed (inbound or outbound); the connection is gone, nothing else happens. */
  onTlsFailure(reason: TlsFailureReason, peer: Endpoint, direction: 'inbound' | 'outbound', err: Error): void;
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
  /** The TLS listener (RFC 3261 26.2); absent: no TLS. */
  tls?: TlsSettings;
}

const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * dgram resolves every destination before each send, and dns.lookup answers even an IP literal
 * on the next tick. Destinations here are already resolved (resolve.ts), so a literal is
 * answered at once: one deferred callback less per datagram.
 */
const literalLookup: NonNullable<SocketOptions['lookup']> = (host, opts, cb) => {
  const family = isIP(host);
  if (family !== 0) cb(null, host, family);
  else dnsLookup(host, opts, cb);
};

interface UdpListener { socket: UdpSocket; local: Endpoint; spec: ListenSpec }
interface TcpListener { server: Server | TlsServer; local: Endpoint; spec: ListenSpec }

/**
 * UDP, TCP and TLS listeners plus outbound TCP and TLS connections (RFC 3261 section 18, 26.2). Thin I/O: parsing is
 * done by the pure parser/framer, and every message goes to the handlers with its context.
 */
export class TransportLayer {
  private udp: UdpListener[] = [];
  private tcp: TcpListener[] = [];
  private tls: TcpListener[] = [];
  private tlsMaterial?: TlsMaterial;
  private conns = new Map<string, TcpConnection>();
  /** Other host:port names of open connections (see aliases.ts), and each connection's names. */
  private aliases = new Map<string, TcpConnection>();
  private aliasKeys = new Map<TcpConnection, string[]>();
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
    const t = this.opts.tls;
    if (t) {
      try {
        this.tlsMaterial = loadTlsMaterial(t);
        this.warnIfExpired(this.tlsMaterial);
        const spec: ListenSpec = { host: t.host, port: t.port, transports: ['tls'], externalHost: t.externalHost };
        const server = createTlsServer(serverOptions(t, this.tlsMaterial));
        // A failed handshake (plain TCP, old protocol, weak ciphers, bad client certificate,
        // timeout) only costs that socket: counted and logged, never thrown.
        server.on('tlsClientError', (err, socket) => {
          const peer: Endpoint = { transport: 'tls', address: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
          this.handlers.onTlsFailure(classifyTlsError(err), peer, 'inbound', err);
          socket.destroy();
        });
        server.on('secureConnection', (socket: TLSSocket) => {
          const refused = clientCertFailure(t, socket);
          if (!refused) return;
          const peer: Endpoint = { transport: 'tls', address: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
          this.handlers.onTlsFailure(refused.reason, peer, 'inbound', new Error(refused.detail));
          socket.destroy();
        });
        this.tls.push(await this.listenStream(server, spec, 'tls', t.port, 'secureConnection'));
      } catch (err) {
        await this.close();
        throw err;
      }
    }
  }

  /**
   * Rereads the certificate and key (SIGHUP) and applies them to new handshakes; connections
   * already up keep theirs. On a bad file the old material stays and the error is thrown.
   */
  reloadTls(): { subject: string; validTo: Date } | undefined {
    const t = this.opts.tls;
    if (!t || this.tls.length === 0) return undefined;
    const m = loadTlsMaterial(t);
    for (const l of this.tls) (l.server as TlsServer).setSecureContext(serverOptions(t, m));
    this.tlsMaterial = m;
    this.warnIfExpired(m);
    return { subject: m.subject, validTo: m.validTo };
  }

  private warnIfExpired(m: TlsMaterial): void {
    if (m.validTo.getTime() < Date.now()) {
      this.opts.logger.error({ subject: m.subject, validTo: m.validTo.toISOString() }, 'the TLS server certificate has expired: clients will refuse it');
    }
  }

  private bindUdp(spec: ListenSpec, port: number): Promise<UdpListener> {
    return new Promise((resolve, reject) => {
      // Large kernel buffers absorb bursts while the event loop is busy (the kernel caps them
      // at net.core.rmem_max / wmem_max); drops there would turn into retransmissions.
      const socket = createSocket({
        type: isIPv6(spec.host) ? 'udp6' : 'udp4', reuseAddr: false,
        recvBufferSize: UDP_BUFFER_BYTES, sendBufferSize: UDP_BUFFER_BYTES, lookup: literalLookup,
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
    return this.listenStream(createServer(), spec, 'tcp', port, 'connection');
  }

  /** TLS connections are handed over once the handshake is done ('secureConnection'). */
  private listenStream(server: Server | TlsServer, spec: ListenSpec, transport: StreamTransport, port: number,
    event: 'connection' | 'secureConnection'): Promise<TcpListener> {
    return new Promise((resolve, reject) => {
      server.maxConnections = this.opts.maxConnections;
      server.once('error', reject);
      server.listen(port, spec.host, () => {
        server.off('error', reject);
        const addr = server.address();
        const local: Endpoint = { transport, address: spec.host, port: typeof addr === 'object' && addr ? addr.port : port };
        server.on('error', (err) => this.opts.logger.warn({ err, transport }, 'stream server error'));
        server.on(event, (s: Socket) => this.onAccept(s, local));
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
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    const remote: Endpoint = { transport: local.transport, address: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    this.addConnection(socket, remote, local, false);
  }

  private addConnection(socket: Socket, remote: Endpoint, local: Endpoint, connecting: boolean): TcpConnection {
    const conn = new TcpConnection(socket, remote, local, this.opts.limits, this.opts.idleTimeoutMs, {
      onMessage: (m, c) => {
        this.learnAliases(conn, aliasEndpoints(m, c.source));
        this.handlers.onMessage(m, c);
      },
      onMalformed: (e, c) => this.handlers.onMalformed(e, c),
      onClosed: (c) => {
        if (this.conns.get(c.key) === c) this.conns.delete(c.key);
        for (const k of this.aliasKeys.get(c) ?? []) if (this.aliases.get(k) === c) this.aliases.delete(k);
        this.aliasKeys.delete(c);
      },
    }, connecting, this.opts.partialMessageTimeoutMs);
    const old = this.conns.get(conn.key);
    if (old && old !== conn) old.destroy();
    this.conns.set(conn.key, conn);
    return conn;
  }

  private learnAliases(conn: TcpConnection, names: Endpoint[]): void {
    if (names.length === 0 || conn.isClosed) return;
    const keys = this.aliasKeys.get(conn) ?? [];
    for (const e of names) {
      const k = connKey(e.transport, e.address, e.port);
      // First come keeps a name while its connection lives: another peer on the same IP cannot take it over.
      if (this.conns.get(k)?.isClosed === false || this.aliases.get(k)?.isClosed === false) continue;
      this.aliases.set(k, conn);
      keys.push(k);
    }
    this.aliasKeys.set(conn, keys);
  }

  listeners(): Endpoint[] {
    return [...this.udp.map((u) => u.local), ...this.tcp.map((t) => t.local), ...this.tls.map((t) => t.local)];
  }

  /** The listener to send from / advertise for a transport and address family. */
  localFor(transport: TransportName, destAddress?: string): { local: Endpoint; spec: ListenSpec } | undefined {
    const list: (UdpListener | TcpListener)[] = transport === 'udp' ? this.udp : transport === 'tcp' ? this.tcp : this.tls;
    const v6 = destAddress !== undefined && isIPv6(destAddress);
    const pick = list.find((l) => isIPv6(l.spec.host) === v6) ?? list[0];
    return pick ? { local: pick.local, spec: pick.spec } : undefined;
  }

  /** Number of open TCP and TLS connections (tests, stats). */
  connectionCount(): number {
    return this.conns.size;
  }

  /**
   * Sends bytes. UDP goes out of `local` (the listener a request came in on) or the first
   * listener of the family. TCP and TLS reuse an open connection to dest (RFC 3261 18.2.2:
   * responses on the connection the request came on; RFC 5626 5.3: requests to a registered
   * phone on the flow it registered over, which the registrar names as the proxy) or open one; `fallback` is used instead when dest has
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
    let key = connKey(dest.transport, dest.address, dest.port);
    let conn = this.conns.get(key) ?? this.aliases.get(key);
    if ((!conn || conn.isClosed) && fallback) {
      // RFC 3261 18.2.2: the connection a request came on is gone; a response then goes to a
      // new connection at received (or sent-by) and the sent-by port.
      dest = fallback;
      key = connKey(dest.transport, dest.address, dest.port);
      conn = this.conns.get(key) ?? this.aliases.get(key);
    }
    if (!conn || conn.isClosed) {
      const l = this.localFor(dest.transport, dest.address);
      if (!l) {
        onError?.(new SipTransportError('ERR_SIP_NO_TRANSPORT', `no ${dest.transport.toUpperCase()} listener`));
        return;
      }
      conn = this.addConnection(this.open(dest), { ...dest }, l.local, true);
    }
    conn.write(data, onError);
  }

  private open(dest: Endpoint): Socket {
    if (dest.transport !== 'tls' || !this.opts.tls || !this.tlsMaterial) return connect({ host: dest.address, port: dest.port });
    const socket: TLSSocket = tlsConnect(clientOptions(this.opts.tls, this.tlsMaterial, dest.address, dest.port));
    let secured = false;
    socket.once('secureConnect', () => { secured = true; });
    socket.once('error', (err: Error) => {
      // Refused or unreachable is not a handshake failure; anything between connect and secureConnect is.
      if (!secured && !socket.connecting) {
        this.handlers.onTlsFailure(classifyTlsError(err), dest, 'outbound', err);
      }
    });
    return socket;
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
    this.aliases.clear();
    await Promise.all([
      ...this.udp.map((u) => new Promise<void>((r) => { try { u.socket.close(() => r()); } catch { r(); } })),
      ...[...this.tcp, ...this.tls].map((t) => new Promise<void>((r) => t.server.close(() => r()))),
    ]);
    this.udp = [];
    this.tcp = [];
    this.tls = [];
  }
}
