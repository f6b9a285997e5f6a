import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import pino, { type Logger } from 'pino';
import { SipTransportError, type SipParseError } from './errors';
import { InboundRequests } from './inbound';
import { newBranch, newTag } from './message/create';
import { parseCSeq, parseVia } from './message/fields';
import { SipRequest, type SipMessage, type SipResponse } from './message/message';
import { serialize } from './message/serializer';
import { formatHost } from './message/uri';
import { Refusal, ServerAdmission } from './transaction/admission';
import { ClientTransaction } from './transaction/client-transaction';
import { InviteClientTransaction } from './transaction/invite-client';
import { InviteServerTransaction } from './transaction/invite-server';
import { clientKey } from './transaction/keys';
import { NonInviteClientTransaction } from './transaction/non-invite-client';
import { ServerTransaction } from './transaction/server-transaction';
import { TxState, type TimerConfig, type TransactionHost } from './transaction/types';
import { TransportLayer } from './transport/layer';
import { nextHop, resolveHop, type NextHop } from './transport/resolve';
import { TLS_FAILURE_REASONS, type TlsFailureReason, type TlsSettings } from './transport/tls';
import type { Endpoint, InboundContext, ListenSpec, TransportName } from './transport/types';

export interface SipStackOptions {
  listen: readonly ListenSpec[];
  t1: number;
  t2: number;
  t4: number;
  maxMessageBytes: number;
  maxHeaders: number;
  logger?: Logger;
  /** Idle TCP connections are closed after this long (default 120 s). */
  tcpIdleTimeoutMs?: number;
  /** Accepted TCP connections per listener beyond this are refused (default 10000). */
  maxTcpConnections?: number;
  /** A TCP peer must complete a message it started within this long (default 30 s). */
  tcpPartialMessageTimeoutMs?: number;
  /** Server transactions held at once; beyond, new requests get 503 (default 100000). */
  maxServerTransactions?: number;
  /** Pending INVITE server transactions per source IP; beyond, new INVITEs get 503 (default 1000). */
  maxPendingInvitesPerSource?: number;
  /** A TLS listener (RFC 3261 26.2) and the material for outbound TLS; absent: no TLS. */
  tls?: TlsSettings;
}

export interface SendOptions {
  /** Send here instead of the Route / Request-URI derived next hop. */
  target?: Endpoint;
}

export interface SipStackStats {
  serverTransactions: number;
  clientTransactions: number;
  retransmissionsSent: number;
  retransmissionsAbsorbed: number;
  malformed: number;
  activeTransactions: number;
  strayResponses: number;
  /** Open TCP connections (accepted and opened by us). */
  tcpConnections: number;
  /** Server transactions held now. */
  serverTransactionsActive: number;
  /** Requests answered 503 for overload: over maxServerTransactions / over maxPendingInvitesPerSource. */
  refusedTotalLimit: number;
  refusedSourceLimit: number;
  /** Failed TLS handshakes (inbound and outbound), by reason. */
  tlsHandshakeFailures: Record<TlsFailureReason, number>;
}

export type SipStackEvents = {
  request: [req: SipRequest, ctx: InboundContext, tx: ServerTransaction | null];
  malformed: [info: { source: Endpoint; reason: string }];
  /** A response that matches no client transaction (e.g. a 2xx retransmitted after Timer M). */
  strayResponse: [res: SipResponse, ctx: InboundContext];
  tlsFailure: [info: { reason: TlsFailureReason; peer: Endpoint; direction: 'inbound' | 'outbound' }];
};

/**
 * The SIP core: transports + the four RFC 3261 transaction machines. The TU (drachtio server)
 * sees new requests, responses on its client transactions, and nothing of retransmissions.
 */
type Handler<K extends keyof SipStackEvents> = (...args: SipStackEvents[K]) => void;

/** Typed events (declaration merging keeps EventEmitter's own listeners(name) untouched). */
export interface SipStack {
  on<K extends keyof SipStackEvents>(event: K, listener: Handler<K>): this;
  once<K extends keyof SipStackEvents>(event: K, listener: Handler<K>): this;
  off<K extends keyof SipStackEvents>(event: K, listener: Handler<K>): this;
  emit<K extends keyof SipStackEvents>(event: K, ...args: SipStackEvents[K]): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SipStack extends EventEmitter {
  private readonly log: Logger;
  private readonly transport: TransportLayer;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly inbound: InboundRequests;
  private readonly host: TransactionHost;
  private readonly admission: ServerAdmission;
  private readonly counters = { server: 0, client: 0, retransSent: 0, absorbed: 0, malformed: 0, stray: 0 };
  private readonly tlsFailures = Object.fromEntries(TLS_FAILURE_REASONS.map((r) => [r, 0])) as Record<TlsFailureReason, number>;
  private readonly idPrefix = newTag().slice(0, 6);
  private seq = 0;
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(opts: SipStackOptions) {
    super();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.transport = new TransportLayer({
      listen: opts.listen,
      limits: { maxMessageBytes: opts.maxMessageBytes, maxHeaders: opts.maxHeaders },
      idleTimeoutMs: opts.tcpIdleTimeoutMs ?? 120_000,
      maxConnections: opts.maxTcpConnections ?? 10_000,
      partialMessageTimeoutMs: opts.tcpPartialMessageTimeoutMs ?? 30_000,
      logger: this.log,
      tls: opts.tls,
    }, {
      onMessage: (m, ctx) => this.guard(() => this.onMessage(m, ctx)),
      onMalformed: (e, ctx) => this.guard(() => this.onMalformed(e, ctx)),
      onTlsFailure: (reason, peer, direction, err) => this.guard(() => {
        this.tlsFailures[reason]++;
        this.log.warn({ reason, peer, direction, error: err.message }, `TLS handshake failed: ${reason}`);
        this.emit('tlsFailure', { reason, peer, direction });
      }),
    });
    this.admission = new ServerAdmission({
      maxServerTransactions: opts.maxServerTransactions ?? 100_000,
      maxPendingInvitesPerSource: opts.maxPendingInvitesPerSource ?? 1000,
    });
    const timers: TimerConfig = { t1: opts.t1, t2: opts.t2, t4: opts.t4 };
    const c = this.counters;
    this.host = {
      timers,
      // Send failures call TU handlers from socket callbacks: guarded like inbound messages.
      send: (data, dest, local, onError, fallback) => this.transport.send(data, dest, local, (e) => this.guard(() => onError(e)), fallback),
      countRetransmitSent: () => { c.retransSent++; },
      countAbsorbed: () => { c.absorbed++; },
      forget: (tx) => {
        if (tx.kind === 'server') this.inbound.forget(tx);
        else if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
      },
      registerAccepted: (k, tx) => this.inbound.registerAccepted(k, tx as InviteServerTransaction),
      unregisterAccepted: (k, tx) => this.inbound.unregisterAccepted(k, tx as InviteServerTransaction),
      sendCancel: (cancel, dest) => this.createClientTx(cancel, Promise.resolve(dest)),
    };
    this.inbound = new InboundRequests({
      host: this.host,
      admission: this.admission,
      log: this.log,
      nextId: () => this.nextId('s'),
      counted: () => { c.server++; },
      sendStateless: (data, dest, local) => this.transport.send(data, dest, local, () => undefined),
      deliver: (req, ctx, tx) => this.emit('request', req, ctx, tx),
    });
  }

  /** Binds every listener; rejects on a bind error (nothing stays bound then). */
  async start(): Promise<void> {
    if (this.started) return;
    await this.transport.start();
    this.started = true;
    this.log.info({ listeners: this.listeners() }, 'sip stack listening');
  }

  /**
   * Rereads the TLS certificate and key (SIGHUP) for new handshakes. Throws (coded
   * ERR_SIP_TLS_CONFIG) when a file is unreadable or the key does not match: the old pair stays.
   */
  reloadTls(): { subject: string; validTo: Date } | undefined {
    const r = this.transport.reloadTls();
    if (r) this.log.info({ subject: r.subject, validTo: r.validTo.toISOString() }, 'TLS certificate reloaded');
    return r;
  }

  /** Idempotent: terminates every transaction (clearing its timers) and closes all sockets. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        for (const tx of [...this.inbound.all(), ...this.clients.values()]) tx.terminate();
        await this.transport.close();
      })();
    }
    return this.closing;
  }

  /**
   * Without an argument: the bound endpoints (actual ports). With an event name it keeps
   * EventEmitter's meaning, so the emitter machinery is unaffected.
   */
  override listeners(): Endpoint[];
  override listeners(eventName: string | symbol): Function[];
  override listeners(eventName?: string | symbol): Endpoint[] | Function[] {
    if (eventName === undefined) return this.transport.listeners();
    return super.listeners(eventName);
  }

  /** host:port to put in Via / Contact for a transport (externalHost when configured). */
  advertised(transport: TransportName): { host: string; port: number } {
    const l = this.transport.localFor(transport);
    if (!l) throw new SipTransportError('ERR_SIP_NO_TRANSPORT', `no ${transport} listener`);
    let host = l.spec.externalHost ?? l.local.address;
    if (!l.spec.externalHost && (host === '0.0.0.0' || host === '::')) host = firstInterfaceAddress(host === '::');
    return { host, port: l.local.port };
  }

  stats(): SipStackStats {
    const c = this.counters;
    return {
      serverTransactions: c.server,
      clientTransactions: c.client,
      retransmissionsSent: c.retransSent,
      retransmissionsAbsorbed: c.absorbed,
      malformed: c.malformed,
      // Accepted INVITE server transactions stay in `servers` until Timer L: counted once.
      activeTransactions: this.inbound.size + this.clients.size,
      strayResponses: c.stray,
      tcpConnections: this.transport.connectionCount(),
      serverTransactionsActive: this.inbound.size,
      refusedTotalLimit: this.admission.refused[Refusal.Total],
      refusedSourceLimit: this.admission.refused[Refusal.Source],
      tlsHandshakeFailures: { ...this.tlsFailures },
    };
  }

  /** INVITE server transactions from `address` still pending (no final yet, or a non-2xx final not ACKed). */
  pendingInvitesFrom(address: string): number {
    return this.admission.pendingInvitesFrom(address);
  }

  /**
   * Sends a request in a new client transaction. Adds the top Via (advertised address, fresh
   * branch, ;rport per RFC 3581) and Max-Forwards 70 when missing.
   */
  sendRequest(req: SipRequest, opts: SendOptions = {}): ClientTransaction {
    let hop: Endpoint | NextHop | Error = opts.target ?? nextHop(req);
    if (!(hop instanceof Error)) {
      try {
        this.addVia(req, hop.transport);
      } catch (err) {
        // e.g. no listener for that transport: reported as 'transportError', like any send failure
        hop = err as Error;
      }
    }
    const dest: Promise<Endpoint> = hop instanceof Error ? Promise.reject(hop)
      : 'address' in hop ? Promise.resolve(hop) : resolveHop(hop);
    return this.createClientTx(req, dest);
  }

  /**
   * Sends without a transaction (ACK for a 2xx per RFC 3261 13.2.2.4, or anything stateless).
   * A top Via is added only when the request has none. Resolves with the destination used.
   */
  async sendStateless(req: SipRequest, opts: SendOptions = {}): Promise<Endpoint> {
    const hop = opts.target ?? nextHop(req);
    if (hop instanceof Error) throw hop;
    if (!req.headers.has('via')) this.addVia(req, hop.transport);
    else if (!req.headers.has('max-forwards')) req.headers.set('Max-Forwards', 70);
    const dest = 'address' in hop ? hop : await resolveHop(hop);
    const wire = serialize(req);
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      this.transport.send(wire, dest, undefined, (err) => { failed = true; reject(err); });
      // UDP send errors arrive asynchronously and TCP ones after connect; report success once queued.
      setImmediate(() => { if (!failed) resolve(); });
    });
    return dest;
  }

  private addVia(req: SipRequest, transport: TransportName): void {
    const adv = this.advertised(transport);
    req.headers.prepend('Via', `SIP/2.0/${transport.toUpperCase()} ${formatHost(adv.host)}:${adv.port};branch=${newBranch()};rport`);
    if (!req.headers.has('max-forwards')) req.headers.set('Max-Forwards', 70);
  }

  private createClientTx(req: SipRequest, dest: Promise<Endpoint>): ClientTransaction {
    const via = parseVia(req.headers.get('via') ?? '');
    const branch = via?.branch ?? newBranch();
    const key = clientKey(branch, req.method);
    const id = this.nextId('c');
    dest.catch(() => undefined); // failures are reported as 'transportError' on the transaction
    const Ctor = req.method === 'INVITE' ? InviteClientTransaction : NonInviteClientTransaction;
    const initial = req.method === 'INVITE' ? TxState.Calling : TxState.Trying;
    const tx = new Ctor(id, key, req, dest, this.host, this.log, initial, serialize);
    this.clients.set(key, tx);
    this.counters.client++;
    return tx;
  }

  private nextId(kind: string): string {
    return `${this.idPrefix}${kind}${++this.seq}`;
  }

  /** Exceptions from a TU handler must not unwind into the socket callbacks. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'error while handling a SIP message');
    }
  }

  private onMessage(msg: SipMessage, ctx: InboundContext): void {
    if (msg.kind === 'response') this.onResponse(msg, ctx);
    else this.inbound.onRequest(msg, ctx);
  }

  private onResponse(res: SipResponse, ctx: InboundContext): void {
    const via = parseVia(res.headers.get('via') ?? '');
    const cseq = parseCSeq(res.headers.get('cseq') ?? '');
    const tx = via?.branch && cseq ? this.clients.get(clientKey(via.branch, cseq.method)) : undefined;
    if (tx) {
      tx.receiveResponse(res);
      return;
    }
    this.counters.stray++;
    this.emit('strayResponse', res, ctx);
  }

  private onMalformed(err: SipParseError, ctx: InboundContext): void {
    this.counters.malformed++;
    const reason = `${err.code}: ${err.message}`;
    this.log.debug({ source: ctx.source, reason }, 'malformed message');
    this.inbound.onMalformed(err, ctx);
    this.emit('malformed', { source: ctx.source, reason });
  }
}

function firstInterfaceAddress(v6: boolean): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && (a.family === 'IPv6') === v6) return a.address;
  }
  return v6 ? '::1' : '127.0.0.1';
}

export { ServerTransaction, ClientTransaction };
