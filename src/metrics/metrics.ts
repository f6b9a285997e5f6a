import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the service exposes on /metrics, created once per process against one registry.
 * Label sets are closed enums so cardinality stays bounded (no call-ids, no URLs as labels).
 */
export type NetworkSide = 'onnet' | 'offnet';
export type CallOutcome = 'answered' | 'rejected' | 'cancelled' | 'failed' | 'no_answer';
export type RecordingOutcome = 'completed' | 'discarded_short' | 'failed';
export type RecordingRefusal = 'no_url';
export type UploadResult = 'success' | 'http_error' | 'network_error' | 'refused';
export type LegRole = 'caller' | 'callee';

/**
 * The engine's own counters (a subset of its stats()), read at scrape time so the engine stays
 * free of prom-client. undefined when no embedded engine runs (external drachtio-server).
 */
export interface EngineCounters {
  serverTransactions: number;
  clientTransactions: number;
  retransmissionsSent: number;
  retransmissionsAbsorbed: number;
  activeTransactions: number;
  /** Failed TLS handshakes by reason (see src/engine/sip/transport/tls.ts). */
  tlsHandshakeFailures?: Readonly<Record<string, number>>;
}
export type EngineStatsSource = () => EngineCounters | undefined;

/** The PostgreSQL store's connection pool, read at scrape time (undefined with SQLite). */
export interface StorePoolStats {
  total: number;
  idle: number;
  waiting: number;
}
export type StorePoolSource = () => StorePoolStats;

export interface Metrics {
  readonly registry: Registry;
  callsTotal: Counter<'caller' | 'callee' | 'outcome'>;
  activeCalls: Gauge;
  registrations: Gauge;
  recordingsStarted: Counter<'source'>;
  recordingsFinished: Counter<'outcome'>;
  /** Recordings that did not get all of the call's media (alert on any increase). */
  recordingsMediaMissing: Counter<'status'>;
  /** Recordings asked for (policy or callflow) and refused at planning, by reason (no_url). */
  recordingsRefused: Counter<'reason'>;
  uploadAttempts: Counter<'result'>;
  uploadDuration: Histogram<'result'>;
  uploadQueueDepth: Gauge<'status'>;
  rtpPackets: Counter<'leg' | 'kind'>;
  /** Recorder time adjustments per leg: padded (silence where a slow or delayed sender fell behind), trimmed (overlap dropped). */
  recorderAdjusted: Counter<'leg' | 'kind'>;
  encoderSeconds: Counter<'format'>;
  engineTransactions: Counter<'kind'>;
  engineRetransmissions: Counter<'direction'>;
  engineActiveTransactions: Gauge;
  /** Failed SIP-over-TLS handshakes (plain TCP on the TLS port, old protocol, weak ciphers, bad or expired certificates). */
  engineTlsFailures: Counter<'reason'>;
  /** 1 from SIGTERM on (new calls refused), for load balancers and alerts. */
  draining: Gauge;
  recorderOverloaded: Gauge;
  /** Where b2bua_recorder_overloaded is read from at each scrape. */
  setRecorderOverloadSource(source: () => boolean): void;
  invitesRefused: Counter<'reason'>;
  /** 1 while the state backend answers (always 1 with state.driver "memory"). */
  stateUp: Gauge;
  /** State operations that failed because the backend (Redis) was unreachable or timed out. */
  stateUnavailable: Counter;
  /** Where the engine counters are read from at each scrape (set once the engine exists). */
  setEngineStatsSource(source: EngineStatsSource | undefined): void;
  /** Store requests that failed because the store's server could not answer (alert on any increase). */
  storeUnavailable: Counter;
  /** PostgreSQL pool connections: total open, idle, and requests waiting for one. */
  storePool: Gauge<'state'>;
  setStorePoolSource(source: StorePoolSource | undefined): void;
  /** Encryption at rest: spool files that failed authentication and were quarantined, by reason (alert on any increase). */
  spoolQuarantined: Counter<'reason'>;
  /** Call records, recording records and kept files deleted, by kind and by whom (retention sweeper or API). */
  storageDeleted: Counter<'kind' | 'by'>;
  /** Metadata sidecar uploads, by result. */
  sidecarUploads: Counter<'result'>;
}

export function createMetrics(registry: Registry = new Registry(), withDefaults = true): Metrics {
  if (withDefaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let source: EngineStatsSource | undefined;
  let overloaded: (() => boolean) | undefined;
  let poolSource: StorePoolSource | undefined;
  // Counters only go up: the engine's cumulative values are added as deltas since the last scrape.
  const seen = new Map<string, number>();
  const advance = (counter: Counter<string>, labels: Record<string, string>, key: string, value: number): void => {
    const delta = value - (seen.get(key) ?? 0);
    seen.set(key, value);
    // inc by 0 too, so every labelled series is exported from the first scrape.
    counter.inc(labels, Math.max(0, delta));
  };
  return {
    registry,
    callsTotal: new Counter({
      name: 'b2bua_calls_total',
      help: 'Calls ended, by caller and callee network side and outcome',
      labelNames: ['caller', 'callee', 'outcome'] as const,
      registers,
    }),
    activeCalls: new Gauge({ name: 'b2bua_active_calls', help: 'Calls in progress', registers }),
    registrations: new Gauge({ name: 'b2bua_registrations', help: 'Active registration bindings', registers }),
    recordingsStarted: new Counter({
      name: 'b2bua_recordings_started_total',
      help: 'Recordings started, by what asked for them',
      labelNames: ['source'] as const,
      registers,
    }),
    recordingsFinished: new Counter({
      name: 'b2bua_recordings_finished_total',
      help: 'Recordings finished, by outcome (completed; partial: some media missing; failed: no media or recorder error; discarded_short: under record_min_sec)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    recordingsMediaMissing: new Counter({
      name: 'b2bua_recordings_media_missing_total',
      help: 'Recordings whose fork failed or delivered far less RTP than rtpengine received from the parties (partial: some missing, sent; failed: none, kept and not sent). Alert on any increase.',
      labelNames: ['status'] as const,
      registers,
    }),
    recordingsRefused: new Counter({
      name: 'b2bua_recordings_refused_total',
      help: 'Recordings asked for and not started, by reason (no_url: no upload URL in the settings and none configured; recorder_unavailable: no recorder session for the call, e.g. no free port)',
      labelNames: ['reason'] as const,
      registers,
    }),
    uploadAttempts: new Counter({
      name: 'b2bua_upload_attempts_total',
      help: 'Recording upload attempts, by result',
      labelNames: ['result'] as const,
      registers,
    }),
    uploadDuration: new Histogram({
      name: 'b2bua_upload_duration_seconds',
      help: 'Time spent on one upload attempt',
      labelNames: ['result'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    spoolQuarantined: new Counter({
      name: 'b2bua_spool_quarantined_total',
      help: 'Encrypted spool files that failed authentication (tampered, truncated) and were moved to quarantine, never sent',
      labelNames: ['reason'] as const,
      registers,
    }),
    storageDeleted: new Counter({
      name: 'b2bua_storage_deleted_total',
      help: 'Deleted call records (cdr), recording records (recording) and kept files (file), by the retention sweeper or the API',
      labelNames: ['kind', 'by'] as const,
      registers,
    }),
    sidecarUploads: new Counter({
      name: 'b2bua_sidecar_uploads_total',
      help: 'Metadata sidecar (<name>.json) uploads after a recording, by result',
      labelNames: ['result'] as const,
      registers,
    }),
    uploadQueueDepth: new Gauge({
      name: 'b2bua_upload_queue_depth',
      help: 'Recordings in the delivery queue, by status',
      labelNames: ['status'] as const,
      registers,
    }),
    rtpPackets: new Counter({
      name: 'b2bua_recorder_rtp_packets_total',
      help: 'RTP packets seen by the recorder per leg: received, lost (never arrived), late (arrived after playout)',
      labelNames: ['leg', 'kind'] as const,
      registers,
    }),
    recorderAdjusted: new Counter({
      name: 'b2bua_recorder_adjusted_seconds_total',
      help: 'Seconds the recorder put in per leg as silence where the sender fell behind the call clock (kind padded: slow clock, standing delay) or dropped as overlap (kind trimmed: fast clock surplus)',
      labelNames: ['leg', 'kind'] as const,
      registers,
    }),
    encoderSeconds: new Counter({
      name: 'b2bua_encoder_cpu_seconds_total',
      help: 'Time spent encoding recordings, by format',
      labelNames: ['format'] as const,
      registers,
    }),
    engineTransactions: new Counter({
      name: 'b2bua_sip_transactions_total',
      help: 'SIP transactions created by the engine, by kind (server/client)',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const s = source?.();
        if (!s) return;
        advance(this, { kind: 'server' }, 'server', s.serverTransactions);
        advance(this, { kind: 'client' }, 'client', s.clientTransactions);
      },
    }),
    engineRetransmissions: new Counter({
      name: 'b2bua_sip_retransmissions_total',
      help: 'SIP retransmissions: sent by the engine, or received and absorbed',
      labelNames: ['direction'] as const,
      registers,
      collect() {
        const s = source?.();
        if (!s) return;
        advance(this, { direction: 'sent' }, 'sent', s.retransmissionsSent);
        advance(this, { direction: 'received' }, 'received', s.retransmissionsAbsorbed);
      },
    }),
    engineActiveTransactions: new Gauge({
      name: 'b2bua_sip_active_transactions',
      help: 'SIP transactions the engine currently holds',
      registers,
      collect() {
        const s = source?.();
        if (s) this.set(s.activeTransactions);
      },
    }),
    engineTlsFailures: new Counter({
      name: 'b2bua_sip_tls_handshake_failures_total',
      help: 'SIP over TLS handshakes that failed, inbound or outbound, by reason',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        const f = source?.()?.tlsHandshakeFailures;
        if (!f) return;
        for (const [reason, n] of Object.entries(f)) advance(this, { reason }, `tls:${reason}`, n);
      },
    }),
    recorderOverloaded: new Gauge({
      name: 'b2bua_recorder_overloaded',
      help: '1 while a recorder thread runs later than recorder.overloadLagMs (new INVITEs get 503)',
      registers,
      collect() {
        this.set(overloaded?.() === true ? 1 : 0);
      },
    }),
    setRecorderOverloadSource(s) {
      overloaded = s;
    },
    draining: new Gauge({ name: 'b2bua_draining', help: '1 while the service drains for shutdown (new INVITEs get 503)', registers }),
    invitesRefused: new Counter({
      name: 'b2bua_invites_refused_total',
      help: 'New INVITEs refused before routing, by reason (draining, max_calls, recorder_overload)',
      labelNames: ['reason'] as const,
      registers,
    }),
    stateUp: new Gauge({ name: 'b2bua_state_up', help: '1 while the state backend (Redis with state.driver "redis") answers', registers }),
    stateUnavailable: new Counter({
      name: 'b2bua_state_unavailable_total',
      help: 'State operations failed because the backend was unreachable or timed out',
      registers,
    }),
    setEngineStatsSource(s) {
      source = s;
    },
    storeUnavailable: new Counter({
      name: 'b2bua_store_unavailable_total',
      help: 'Store requests failed because the store server was unreachable, too slow or out of connections',
      registers,
    }),
    storePool: new Gauge({
      name: 'b2bua_store_pool_connections',
      help: 'PostgreSQL store pool: connections open (total), idle, and requests waiting for one',
      labelNames: ['state'],
      registers,
      collect() {
        const p = poolSource?.();
        if (p) for (const state of ['total', 'idle', 'waiting'] as const) this.set({ state }, p[state]);
      },
    }),
    setStorePoolSource(s) {
      poolSource = s;
    },
  };
}
