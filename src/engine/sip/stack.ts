import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import pino, { type Logger } from 'pino';
import { SipTransportError, type SipParseError } from './errors';
import { createResponse, newBranch, newTag } from './message/create';
import { parseCSeq, parseVia, type Via } from './message/fields';
import { SipRequest, type SipMessage, type SipResponse } from './message/message';
import { getHeaderParam } from './message/params';
import { serialize } from './message/serializer';
import { formatHost } from './message/uri';
import { Refusal, ServerAdmission } from './transaction/admission';
import { ClientTransaction } from './transaction/client-transaction';
import { InviteClientTransaction } from './transaction/invite-client';
import { InviteServerTransaction } from './transaction/invite-server';
import { clientKey, dialogAckKey, serverKey } from './transaction/keys';
import { NonInviteClientTransaction } from './transaction/non-invite-client';
import { NonInviteServerTransaction } from './transaction/non-invite-server';
import { ServerTransaction } from './transaction/server-transaction';
import { TxState, type TimerConfig, type TransactionHost } from './transaction/types';
import { TransportLayer } from './transport/layer';
import { defaultPort, nextHop, resolveHop, type NextHop } from './transport/resolve';
import { TLS_FAILURE_REASONS, type TlsFailureReason, type TlsSettings } from './transport/tls';
import { isReliable, type Endpoint, type InboundContext, type ListenSpec, type TransportName } from './transport/types';
import { responseTarget, stampVia } from './transport/via';

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

/** Retry-After (seconds) on the 503 of a request refused for overload (RFC 3261 21.5.4). */
const OVERLOAD_RETRY_AFTER_SEC = 5;

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

type AnyTx = ServerTransaction | ClientTransaction;

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
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly accepted = new Map<string, InviteServerTransaction>();
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
        const map: Map<string, AnyTx> = tx.kind === 'server' ? this.servers : this.clients;
        if (map.get(tx.key) === tx) map.delete(tx.key);
      },
      registerAccepted: (k, tx) => { this.accepted.set(k, tx as InviteServerTransaction); },
      unregisterAccepted: (k, tx) => { if (this.accepted.get(k) === tx) this.accepted.delete(k); },
      sendCancel: (cancel, dest) => this.createClientTx(cancel, Promise.resolve(dest)),
    };
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
        for (const tx of [...this.servers.values(), ...this.clients.values()]) tx.terminate();
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
      activeTransactions: this.servers.size + this.clients.size,
      strayResponses: c.stray,
      tcpConnections: this.transport.connectionCount(),
      serverTransactionsActive: this.servers.size,
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
    if (msg.kind === 'response') {
      this.onResponse(msg, ctx);
      return;
    }
    const via = stampVia(msg, ctx);
    if (!via) return;
    const method = msg.method;
    if (method === 'ACK') {
      this.onAck(msg, ctx, via);
      return;
    }
    const key = serverKey(msg, via, method);
    const existing = this.servers.get(key);
    if (existing) {
      existing.receiveRetransmission();
      return;
    }
    // A CANCEL for an INVITE we hold is always taken: it ends a transaction, it cannot add up.
    const cancelsHeld = method === 'CANCEL' && this.servers.has(serverKey(msg, via, 'INVITE'));
    if (!cancelsHeld && this.admission.check(method, ctx.source.address, this.servers.size)) {
      this.replyStateless(msg, via, ctx, 503, [['Retry-After', String(OVERLOAD_RETRY_AFTER_SEC)]]);
      return;
    }
    const target = responseTarget(via, ctx);
    const fallback = isReliable(ctx.source.transport)
      ? { transport: ctx.source.transport, address: via.received ?? via.host, port: via.port ?? defaultPort(ctx.source.transport) } : undefined;
    if (method === 'INVITE') {
      const tx = new InviteServerTransaction(this.nextId('s'), key, msg, ctx, target, this.host, this.log, TxState.Proceeding);
      tx.responseFallback = fallback;
      tx.releasePending = this.admission.holdInvite(ctx.source.address);
      this.servers.set(key, tx);
      this.counters.server++;
      // RFC 3261 17.2.1: the server transaction sends 100 Trying (immediately here).
      tx.respond(createResponse(msg, 100));
      this.emit('request', msg, ctx, tx);
      return;
    }
    const tx = new NonInviteServerTransaction(this.nextId('s'), key, msg, ctx, target, this.host, this.log, TxState.Trying);
    tx.responseFallback = fallback;
    this.servers.set(key, tx);
    this.counters.server++;
    if (method === 'CANCEL') {
      this.onCancel(msg, via, tx);
      return;
    }
    tx.armGuard();
    this.emit('request', msg, ctx, tx);
  }

  /** RFC 3261 9.2: CANCEL is answered by the stack; the INVITE gets 487 and the TU is told. */
  private onCancel(cancel: SipRequest, via: Via, tx: NonInviteServerTransaction): void {
    const invite = this.servers.get(serverKey(cancel, via, 'INVITE'));
    if (!(invite instanceof InviteServerTransaction)) {
      tx.respond(createResponse(cancel, 481));
      return;
    }
    tx.respond(createResponse(cancel, 200, undefined, invite.toTag));
    invite.cancel(cancel);
  }

  private onAck(ack: SipRequest, ctx: InboundContext, via: Via): void {
    const tx = this.servers.get(serverKey(ack, via, 'ACK'));
    if (tx instanceof InviteServerTransaction) {
      tx.receiveAck(ack);
      return;
    }
    const h = ack.headers;
    const toTag = getHeaderParam(h.get('to') ?? '', 'tag');
    const cseq = parseCSeq(h.get('cseq') ?? '');
    if (toTag && cseq) {
      const acc = this.accepted.get(dialogAckKey(h.get('call-id') ?? '', cseq.seq, toTag));
      if (acc) {
        acc.receiveAck(ack);
        return;
      }
    }
    this.emit('request', ack, ctx, null);
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
    const req = err.request;
    // RFC 3261 8.2 / 21.4.1: a 400 goes back when the request is addressable (it has a Via).
    const via = req ? stampVia(req, ctx) : null;
    if (req && via) this.replyStateless(req, via, ctx, 400);
    this.emit('malformed', { source: ctx.source, reason });
  }

  /** A response sent without a transaction (nothing is kept, retransmissions are answered anew). */
  private replyStateless(req: SipRequest, via: Via, ctx: InboundContext, status: number, headers: [string, string][] = []): void {
    try {
      const res = createResponse(req, status);
      for (const [n, v] of headers) res.headers.append(n, v);
      this.transport.send(serialize(res), responseTarget(via, ctx), ctx.local, () => undefined);
    } catch (e) {
      this.log.debug({ err: e, status }, 'could not answer a request statelessly');
    }
  }
}

function firstInterfaceAddress(v6: boolean): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && (a.family === 'IPv6') === v6) return a.address;
  }
  return v6 ? '::1' : '127.0.0.1';
}

export { ServerTransaction, ClientTransaction };
