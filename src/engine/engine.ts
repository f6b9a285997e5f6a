/**
 * The embedded SIP engine: the RFC 3261 core (SipStack) plus the drachtio wire protocol server
 * that drachtio-srf applications connect to. Built from the frozen `engine` config section.
 */
import pino, { type Logger } from 'pino';
import type { FrozenConfig } from '../config';
import { DrachtioServer, type DrachtioStats } from './drachtio/server';
import type { SipCodecPort, SipStackPort } from './drachtio/sip-port';
import { SipRequest, SipResponse, SipStack, serializeText, type SipStackStats } from './sip';

export type EngineSettings = FrozenConfig['engine'];

export interface EngineStats {
  sip: SipStackStats;
  drachtio: DrachtioStats;
}

export enum EngineState {
  Idle = 'idle',
  Starting = 'starting',
  Running = 'running',
  Closed = 'closed',
}

const codec: SipCodecPort = {
  request: (method, uri, headers, body) => new SipRequest(method, uri, headers, body),
  response: (status, reason, headers, body) => new SipResponse(status, reason, headers, body),
  serialize: (m) => serializeText(m as SipRequest | SipResponse),
};

/** The drachtio part sees the core through a narrow port (see drachtio/sip-port.ts). */
function portOf(stack: SipStack): SipStackPort {
  return {
    on: (_event, l) => stack.on('request', l),
    off: (_event, l) => stack.off('request', l),
    listeners: () => stack.listeners(),
    advertised: (t) => stack.advertised(t),
    sendRequest: (req, o) => stack.sendRequest(req as SipRequest, o),
    sendStateless: (req, o) => stack.sendStateless(req as SipRequest, o),
  };
}

export class Engine {
  readonly sip: SipStack;
  readonly drachtio: DrachtioServer;
  private _state = EngineState.Idle;
  private closing?: Promise<void>;
  private readonly log: Logger;

  constructor(settings: EngineSettings, logger?: Logger) {
    this.log = (logger ?? pino({ level: 'silent' })).child({ part: 'engine' });
    const s = settings.sip;
    this.sip = new SipStack({
      listen: s.listen.map((l) => ({ host: l.host, port: l.port, transports: [...l.transports], externalHost: l.externalHost })),
      t1: s.t1,
      t2: s.t2,
      t4: s.t4,
      maxMessageBytes: s.maxMessageBytes,
      maxHeaders: s.maxHeaders,
      tcpIdleTimeoutMs: s.tcpIdleTimeoutMs,
      maxServerTransactions: s.maxServerTransactions,
      maxPendingInvitesPerSource: s.maxPendingInvitesPerSource,
      ...(s.tls ? { tls: { ...s.tls } } : {}),
      logger: this.log.child({ part: 'sip' }),
    });
    const d = settings.drachtio;
    this.drachtio = new DrachtioServer({ host: d.host, port: d.port, secret: d.secret, stack: portOf(this.sip), codec, logger: this.log });
  }

  get state(): EngineState {
    return this._state;
  }

  /** Binds SIP listeners, then the drachtio port; on any failure everything is released again. */
  async start(): Promise<void> {
    if (this._state !== EngineState.Idle) return;
    this._state = EngineState.Starting;
    try {
      await this.sip.start();
      await this.drachtio.start();
      this._state = EngineState.Running;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Idempotent; apps are disconnected first so nothing new reaches a closing stack. */
  close(): Promise<void> {
    if (!this.closing) {
      this._state = EngineState.Closed;
      this.closing = (async () => {
        await this.drachtio.close();
        await this.sip.close();
      })();
    }
    return this.closing;
  }

  stats(): EngineStats {
    return { sip: this.sip.stats(), drachtio: this.drachtio.stats() };
  }
}
