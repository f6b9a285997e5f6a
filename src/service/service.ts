import { dirname, join } from 'node:path';
import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { startApiServer, type ApiServer } from '../api';
import { B2bua, CallRecords, Router } from '../calls';
import type { FrozenConfig } from '../config';
import { Engine } from '../engine/engine';
import { startMedia, type Media } from '../media';
import { createMetrics, type Metrics } from '../metrics';
import { Signalling, deviceTargets } from '../signalling';
import { edgeSource } from '../signalling/edge';
import { openState, type State } from '../state';
import { trackCalls } from './call-directory';
import { PostgresDocumentStore, openStore, type DocumentStore } from '../store';
import { metricsRoute, recordingsPort, registrationsRoute } from './api-routes';
import { Recordings } from '../recording';
import { recordingsRoute } from '../api/routes/recordings';
import { channelsRoute } from '../api/routes/channels';
import { uiRoute } from '../api/routes/ui';
import { recordingPreviewRoute } from '../api/routes/recording-preview';
import { ServiceChannels } from './channels';
import { ClusterPeers } from './peers';
import { StoreDirectory } from '../directory/store-directory';
import { withUniqueBindings } from './logger';
import { GracefulShutdown, ShutdownState, queueUploads, type ShutdownReport } from './shutdown';
import { Admission, Refusal } from './admission';

/**
 * The whole product in one process: store, API, embedded SIP engine (or an external
 * drachtio-server), the drachtio-srf app with registrar, INVITE authentication and the B2BUA,
 * rtpengine (supervised locally or external), metrics. start() brings the parts up in
 * dependency order and takes down what started when a later part fails; close() is idempotent
 * and closes in reverse order (calls first, so every leg gets its BYE while SIP still runs).
 */

export enum ServiceState {
  Idle = 'idle',
  Starting = 'starting',
  Running = 'running',
  Closed = 'closed',
}

export class ServiceStartError extends Error {
  readonly code = 'service_start';
  constructor(readonly part: string, readonly reason: unknown) {
    super(`${part} failed to start: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'ServiceStartError';
  }
}

/** Connects drachtio-srf to the engine; rejects on authentication failure or timeout. */
function connectSrf(host: string, port: number, secret: string, log: Logger, timeoutMs = 10_000): Promise<Srf> {
  const srf = new Srf();
  return new Promise<Srf>((resolve, reject) => {
    const timer = setTimeout(() => {
      srf.disconnect();
      reject(new Error(`drachtio connect to ${host}:${port} timed out`));
    }, timeoutMs);
    srf.on('connect', (err: Error | null) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(srf);
    });
    srf.on('error', (err: Error) => log.warn({ err }, 'drachtio connection error'));
    srf.connect({ host, port, secret });
  });
}

/** media.local.pidFile, or by default beside the store file (the state directory). */
function rtpenginePidFile(c: FrozenConfig): string {
  if (c.media.local.pidFile !== '') return c.media.local.pidFile;
  return c.store.path === ':memory:' ? '' : join(dirname(c.store.path), 'rtpengine.pid');
}

export class Service {
  private stateValue = ServiceState.Idle;
  readonly metrics: Metrics;
  store: DocumentStore | undefined;
  engine: Engine | undefined;
  srf: Srf | undefined;
  media: Media | undefined;
  signalling: Signalling | undefined;
  b2bua: B2bua | undefined;
  recordings: Recordings | undefined;
  api: (ApiServer & { url: string }) | undefined;
  /** Registrations, tokens, limiters, nonce-counts, call directory (state.driver). */
  stateStores: State | undefined;
  private closing: Promise<void> | undefined;
  /** SIGTERM path: drain calls, then close (see shutdown.ts). */
  readonly shutdown: GracefulShutdown;
  /** Whether a new call is taken: not while draining, at calls.maxCalls, or with the recorder overloaded. */
  readonly admission: Admission;

  private readonly log: Logger;

  constructor(readonly config: FrozenConfig, log: Logger, registry: Registry = new Registry()) {
    // Every part's logger descends from this one: each line carries `part` (and any key) once.
    this.log = withUniqueBindings(log);
    this.metrics = createMetrics(registry);
    this.metrics.setEngineStatsSource(() => this.engine?.stats().sip);
    this.shutdown = new GracefulShutdown({
      activeCalls: () => this.b2bua?.activeCalls ?? 0,
      ...queueUploads(() => this.recordings?.queue),
      hangUpAll: async () => { await this.b2bua?.close(); },
      closeAll: () => this.close(),
      refusedInvites: () => this.admission.refused(Refusal.Draining),
    }, config.service.shutdown, this.log.child({ part: 'shutdown' }), {
      state: (st) => this.metrics.draining.set(st === ShutdownState.Running ? 0 : 1),
    });
    const recorderOverloaded = (): boolean => this.recordings?.host.overloaded ?? false;
    this.admission = new Admission({
      draining: () => !this.shutdown.accepting,
      activeCalls: () => this.b2bua?.activeCalls ?? 0,
      recorderOverloaded,
    }, config.calls.maxCalls, (reason) => this.metrics.invitesRefused.inc({ reason }));
    this.metrics.setRecorderOverloadSource(recorderOverloaded);
    this.metrics.draining.set(0);
  }

  /** Graceful stop: new INVITEs get 503, calls drain up to service.shutdown.drainSec, then close(). */
  drainAndClose(reason = 'requested'): Promise<ShutdownReport> {
    return this.shutdown.run(reason);
  }

  get state(): ServiceState {
    return this.stateValue;
  }

  /**
   * SIGHUP: rereads the SIP TLS certificate and key for new handshakes. A bad file is logged and
   * the pair in use stays (the service keeps running).
   */
  reloadTls(): void {
    try {
      this.engine?.sip.reloadTls();
    } catch (err) {
      this.log.error({ err }, 'TLS certificate reload failed: keeping the certificate in use');
    }
  }

  /** SIP endpoints the engine listens on (embedded mode). */
  sipListeners(): { transport: string; address: string; port: number }[] {
    return (this.engine?.sip.listeners() ?? []).map((l) => ({ transport: String(l.transport), address: l.address, port: l.port }));
  }

  async start(): Promise<void> {
    if (this.stateValue !== ServiceState.Idle) return;
    this.stateValue = ServiceState.Starting;
    const c = this.config;
    const step = async <T>(part: string, fn: () => Promise<T> | T): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        this.log.error({ err, part }, 'start failed');
        await this.close();
        throw new ServiceStartError(part, err);
      }
    };
    const store = await step('store', () => openStore(c.store, {
      onIdleError: (err) => this.log.warn({ err, part: 'store' }, 'idle store connection lost'),
      onUnavailable: () => this.metrics.storeUnavailable.inc(),
    }));
    if (store instanceof PostgresDocumentStore) this.metrics.setStorePoolSource(() => store.poolStats());
    this.store = store;
    const directory = new StoreDirectory(store);
    this.media = await step('media', () => startMedia({
      ...c.media, local: { ...c.media.local, pidFile: rtpenginePidFile(c), extraArgs: [...c.media.local.extraArgs] }, external: c.media.external.map((e) => ({ ...e })),
    }, this.log));
    let drachtio = { host: c.engine.drachtio.host, port: c.engine.drachtio.port };
    if (c.engine.embedded) {
      const engine = new Engine(c.engine, this.log);
      this.engine = engine;
      await step('engine', () => engine.start());
      drachtio = engine.drachtio.address();
    }
    const srf = await step('drachtio', () => connectSrf(drachtio.host, drachtio.port, c.engine.drachtio.secret, this.log));
    this.srf = srf;
    const sip = this.engine?.sip.advertised('udp');
    // One node: registrations and API tokens beside the documents (a restart keeps them), the
    // rest in memory. Several nodes: all of it in Redis (src/state).
    const state = await step('state', () => openState(c, this.log.child({ part: 'state' }), {
      onExpired: () => { void this.countRegistrations(); },
      onStatus: (up) => this.metrics.stateUp.set(up ? 1 : 0),
      onUnavailable: () => this.metrics.stateUnavailable.inc(),
    }));
    this.metrics.stateUp.set(1);
    this.stateStores = state;
    const signalling = new Signalling({
      config: c.signalling, directory, logger: this.log, bindings: state.bindings, limiter: state.sipLimiter, nonces: state.nonces,
      contactHostPort: sip ? `${sip.host}:${sip.port}` : `${c.engine.sip.listen[0]?.host ?? '127.0.0.1'}:${c.engine.sip.listen[0]?.port ?? 5060}`,
      events: { onChange: () => { void this.countRegistrations(); } },
      // Several nodes: each provider registration is made by the node holding its lease.
      ...(state.driver === 'redis' ? { registrationLease: { leases: state.leases, ttlMs: c.state.leaseTtlSec * 1000 } } : {}),
    });
    this.signalling = signalling;
    // First: behind an edge proxy, the request's real source (from a trusted edge only).
    srf.use(edgeSource({ ...c.signalling.edge, logger: this.log.child({ part: 'edge' }) }));
    // Before authentication: a node that takes no new call (draining, full, overloaded) says so at once.
    srf.use('invite', this.admission.inviteGate());
    srf.use('options', this.admission.optionsAnswer());
    signalling.mount(srf);
    const router = new Router({
      directory,
      registrations: { deviceTargets: (id) => deviceTargets(signalling.bindings, id) },
      trunkAttemptTimeoutSec: c.calls.trunkAttemptTimeoutSec,
    });
    const media = this.media;
    const recordings = new Recordings({
      config: c, store, accountById: (id) => directory.accountById(id), directory, logger: this.log.child({ part: 'recording' }), metrics: this.metrics,
    });
    this.recordings = recordings;
    await step('recordings', () => recordings.start());
    const b2bua = new B2bua({
      srf, router, media: media.server, logger: this.log.child({ part: 'calls' }), metrics: this.metrics,
      settings: { noAnswerTimeoutSec: c.calls.noAnswerTimeoutSec },
      answerFirst: recordings.callerPhase,
      ...(c.calls.records ? { records: new CallRecords(store, this.log.child({ part: 'cdr' })) } : {}),
    });
    this.b2bua = b2bua;
    recordings.mount(b2bua);
    b2bua.mount();
    trackCalls(b2bua, state.calls, this.log.child({ part: 'call-directory' }));
    await step('trunk registrations', () => signalling.startTrunkRegistrations(srf));
    await this.countRegistrations();
    this.api = await step('api', () => startApiServer({
      store, config: c.api, logger: this.log.child({ part: 'api' }), tokens: state.tokens, authLimiter: state.authLimiter,
      routes: [metricsRoute(this.metrics.registry), registrationsRoute((id) => signalling.registrations(id)),
        registrationsRoute(async (id) => signalling.trunkRegistrations?.statusOfAccount(id) ?? [], 'resources/registrations'),
        recordingsRoute(recordingsPort(recordings.queue, (id) => recordings.removeRecording(id, { record: true }, 'api'))), channelsRoute(new ServiceChannels(b2bua, recordings), undefined,
          state.driver === 'redis' ? new ClusterPeers({ nodes: state.nodes, calls: state.calls, timeoutMs: c.state.peerTimeoutMs, logger: this.log.child({ part: 'peers' }) }) : undefined), recordingPreviewRoute, uiRoute()],
    }));
    // Other nodes may forward channels requests here from now on.
    await state.nodes.announce().catch((err: unknown) => this.log.warn({ err }, 'node registry: announce failed (retried)'));
    this.stateValue = ServiceState.Running;
    this.log.info({ api: this.api.url, sip: this.sipListeners(), drachtio }, 'service started');
  }

  private async countRegistrations(): Promise<void> {
    const n = await this.signalling?.bindings.count(Date.now());
    if (n !== undefined) this.metrics.registrations.set(n);
  }

  /** Idempotent; every part is closed even when an earlier one fails to. */
  close(): Promise<void> {
    if (!this.closing) {
      this.stateValue = ServiceState.Closed;
      this.closing = (async () => {
        const steps: [string, (() => Promise<unknown> | unknown) | undefined][] = [
          ['calls', this.b2bua && (() => this.b2bua?.close())],
          ['recordings', this.recordings && (() => this.recordings?.close())],
          ['api', this.api && (() => this.api?.app.close())],
          ['signalling', this.signalling && (() => this.signalling?.close())],
          ['state', this.stateStores && (() => this.stateStores?.close())],
          ['drachtio', this.srf && (() => this.srf?.disconnect())],
          ['engine', this.engine && (() => this.engine?.close())],
          ['media', this.media && (() => this.media?.close())],
          ['store', this.store && (() => this.store?.close())],
        ];
        for (const [part, fn] of steps) {
          if (!fn) continue;
          try {
            await fn();
          } catch (err) {
            this.log.warn({ err, part }, 'close failed');
          }
        }
        this.log.info('service stopped');
      })();
    }
    return this.closing;
  }
}
