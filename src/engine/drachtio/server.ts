/**
 * The drachtio wire protocol server: accepts drachtio-srf applications on a TCP port,
 * authenticates them with the shared secret, keeps their route registrations, and bridges
 * them to the SIP core (UAS half for requests from the network, UAC half for requests from
 * apps). Unsupported commands (e.g. `proxy`) get a NOK with a clear reason.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DialogStore } from '../dialog/store';
import type { Dialog } from '../dialog/dialog';
import { AppConnection, AppState } from './connection';
import { metaOf, type BridgeContext, type BridgeCounters } from './context';
import { formatApiResponse, formatAuthOk, formatSipEvent, type AppCommand } from './protocol';
import { RouteTable } from './routes';
import type { InboundContext, ServerTransactionPort, SipCodecPort, SipRequestPort, SipStackPort } from './sip-port';
import { parseText } from './text-message';
import { UacBridge } from './uac';
import { UasBridge } from './uas';

export const ENGINE_VERSION = 'v0.9.2';

export interface DrachtioServerOptions {
  host: string;
  port: number;
  secret: string;
  stack: SipStackPort;
  codec: SipCodecPort;
  logger: Logger;
}

export interface DrachtioStats extends BridgeCounters {
  apps: number;
  dialogs: number;
  serverTransactions: number;
  clientTransactions: number;
}

export class DrachtioError extends Error {
  constructor(readonly code: 'EDRACHTIO_LISTEN' | 'EDRACHTIO_CLOSED', message: string) {
    super(message);
    this.name = 'DrachtioError';
  }
}

export class DrachtioServer {
  private server?: Server;
  private readonly apps = new Map<string, AppConnection>();
  private readonly routes = new RouteTable<string>();
  readonly dialogs = new DialogStore();
  private readonly counters: BridgeCounters = { requestsIn: 0, requestsOut: 0, rejectedNoApp: 0, ackTimeouts: 0 };
  private readonly uas: UasBridge;
  private readonly uac: UacBridge;
  private readonly log: Logger;
  private closing?: Promise<void>;
  private readonly onRequest = (req: SipRequestPort, ctx: InboundContext, tx: ServerTransactionPort | null): void => {
    try {
      this.uas.onRequest(req, ctx, tx);
    } catch (err) {
      this.log.error({ err }, 'error handling request from network');
    }
  };

  constructor(private readonly o: DrachtioServerOptions) {
    this.log = o.logger.child({ part: 'drachtio' });
    const ctx: BridgeContext = {
      stack: o.stack,
      codec: o.codec,
      dialogs: this.dialogs,
      log: this.log,
      counters: this.counters,
      send: (appId, payload) => {
        const a = this.apps.get(appId);
        if (!a || a.state !== AppState.Ready) return false;
        a.send(payload);
        return true;
      },
    };
    this.uas = new UasBridge(ctx, (method) => this.routes.select(method));
    this.uac = new UacBridge(ctx);
    this.uas.onAckTimeout = (d) => this.ackTimeout(d);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new DrachtioError('EDRACHTIO_LISTEN', `drachtio listen failed: ${err.message}`)));
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.o.stack.on('request', this.onRequest);
    this.log.info({ address: this.address() }, 'drachtio wire protocol listening');
  }

  address(): { host: string; port: number } {
    const a = this.server?.address();
    return typeof a === 'object' && a ? { host: a.address, port: a.port } : { host: this.o.host, port: this.o.port };
  }

  stats(): DrachtioStats {
    return {
      ...this.counters,
      apps: this.apps.size,
      dialogs: this.dialogs.size,
      serverTransactions: this.uas.size,
      clientTransactions: this.uac.size,
    };
  }

  /** Idempotent: closes every app connection and the listener. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        this.o.stack.off('request', this.onRequest);
        for (const a of [...this.apps.values()]) a.close('server closing');
        const s = this.server;
        if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
        this.dialogs.clear();
      })();
    }
    return this.closing;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const id = randomUUID();
    const conn = new AppConnection(id, socket, this.log.child({ app: id }));
    this.apps.set(id, conn);
    conn.log.info({ remote: conn.remote }, 'app connected');
    conn.on('command', (cmd) => this.onCommand(conn, cmd));
    conn.on('close', () => this.drop(conn));
  }

  private drop(conn: AppConnection): void {
    if (!this.apps.delete(conn.id)) return;
    this.routes.removeApp(conn.id);
    this.uas.dropApp(conn.id);
    this.uac.dropApp(conn.id);
    // drachtio-server forgets the dialogs of a client that left; the SIP sessions end on the peers' timers.
    for (const d of this.dialogs.ownedBy(conn.id)) this.dialogs.remove(d);
    conn.log.info('app disconnected');
  }

  private onCommand(conn: AppConnection, cmd: AppCommand): void {
    switch (cmd.kind) {
      case 'authenticate':
        if (cmd.secret !== this.o.secret) {
          conn.send(formatApiResponse(cmd.msgId, false, 'incorrect secret'));
          conn.close('incorrect secret');
          return;
        }
        conn.tags = cmd.tags;
        conn.transition(AppState.Ready);
        conn.send(formatAuthOk(cmd.msgId, this.hostports(), ENGINE_VERSION));
        return;
      case 'route':
        this.routes.add(cmd.verb, conn.id);
        conn.send(formatApiResponse(cmd.msgId, true));
        return;
      case 'remove_route':
        this.routes.remove(cmd.verb, conn.id);
        conn.send(formatApiResponse(cmd.msgId, true));
        return;
      case 'ping':
        conn.send(formatApiResponse(cmd.msgId, true, 'pong'));
        return;
      case 'sip':
        this.onSip(conn, cmd);
        return;
      case 'unsupported':
        conn.send(formatApiResponse(cmd.msgId, false,
          cmd.type === 'proxy' ? 'proxy is not supported by this engine' : `Unknown message type: ${cmd.type}`));
        return;
      case 'invalid':
        conn.send(formatApiResponse(cmd.msgId, false, cmd.reason));
        return;
    }
  }

  private onSip(conn: AppConnection, cmd: Extract<AppCommand, { kind: 'sip' }>): void {
    const text = parseText(cmd.message);
    if (!text) {
      conn.send(formatApiResponse(cmd.msgId, false, 'invalid SIP message'));
      return;
    }
    try {
      if (text.startLine.startsWith('SIP/')) {
        if (!cmd.transactionId) {
          conn.send(formatApiResponse(cmd.msgId, false, 'transaction id missing'));
          return;
        }
        this.uas.onAppResponse(conn.id, cmd.msgId, cmd.transactionId, text);
      } else {
        this.uac.onAppRequest(conn.id, cmd.msgId, cmd.transactionId, cmd.dialogId, cmd.routeUrl, text);
      }
    } catch (err) {
      conn.log.warn({ err }, 'error handling sip command');
      conn.send(formatApiResponse(cmd.msgId, false, `Server error: ${(err as Error).message}`));
    }
  }

  /** RFC 3261 13.3.1.4: no ACK for our 2xx -> end the session with BYE and tell the app (drachtio's behaviour). */
  private ackTimeout(d: Dialog): void {
    if (!this.dialogs.get(d.id)) return;
    this.log.info({ dialogId: d.id }, 'ACK timeout: sending BYE');
    const wire = this.uac.sendBye(d, 'SIP ;cause=200 ;text="ACK timeout"');
    this.dialogs.remove(d);
    const app = this.apps.get(d.init.owner);
    if (!wire || !app || app.state !== AppState.Ready) return;
    const local = this.o.stack.advertised(d.init.transport);
    app.send(formatSipEvent(metaOf('application', wire, { transport: d.init.transport, address: local.host, port: local.port }),
      'unsolicited', d.id, wire));
  }

  private hostports(): string[] {
    return this.o.stack.listeners().map((l) => `${l.transport}/${l.address}:${l.port}`);
  }
}
