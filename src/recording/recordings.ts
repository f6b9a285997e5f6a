import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { B2bua, Call } from '../calls';
import type { FrozenConfig } from '../config';
import { DeliveryQueue, type DeliveryRecord } from '../delivery';
import { KeyRing } from '../atrest/keyring';
import type { AccountInfo, Directory } from '../directory/types';
import type { Metrics, UploadResult } from '../metrics';
import type { RecordingDefaults } from '../policy';
import { recorderHostFrom, type LegStats, type RecorderHost, type RecordingResult } from '../recorder';
import { NotFoundError, type DocumentStore } from '../store';
import { CallRecorder } from './call-recorder';
import { recordingMeta, type CallFacts } from './meta';
import type { RecordingItem } from './plan';
import { CallerPhase } from './caller-phase';
import { RefusalReason, type RefusedRecording } from './plan';
import { RecordingStoreMirror } from './store-mirror';
import { RetentionSweeper } from '../storage/sweeper';
import { s3CredentialsOf, sidecarEnabled } from '../storage/credentials';
import type { MediaVerdict } from './media-check';

/**
 * The recording part of the service: one recorder host (worker threads) and one delivery queue per process, a
 * CallRecorder per call of the B2BUA, the store's `recordings` collection kept in step with the
 * queue, and the recording metrics. start() replays the delivery spool; close() waits for the
 * calls' recorders (so finished files reach the durable queue) before closing the queue.
 */

export interface RecordingsDeps {
  config: Pick<FrozenConfig, 'recorder' | 'delivery' | 'storage'>;
  store: DocumentStore;
  accountById(id: string): Promise<AccountInfo | undefined>;
  /** The callee-device look-ups of CallRecorders (a `user` callee answered by one device). */
  directory?: Pick<Directory, 'deviceById'>;
  logger: Logger;
  metrics?: Metrics;
  defaults?: Partial<RecordingDefaults>;
  /** The retention sweeper's clock (tests move it); default Date.now. */
  now?: () => number;
}

/** Delivery's error codes onto the metric's closed label set. */
export function uploadResultOf(code: string): UploadResult {
  switch (code) {
    case 'http_status':
    case 'too_many_redirects':
      return 'http_error';
    case 'url_refused':
    case 'url_invalid':
      return 'refused';
    default:
      return 'network_error';
  }
}

export class Recordings {
  /** Where the calls' recorder sessions run (recorder worker threads, or this thread). */
  readonly host: RecorderHost;
  readonly queue: DeliveryQueue;
  private readonly mirror: RecordingStoreMirror;
  private readonly recorders = new Set<CallRecorder>();
  /** The running calls' recorders by Call-ID (the channels API acts on them). */
  private readonly byCallId = new Map<string, CallRecorder>();
  /** The B2BUA's answer-first port: record_caller (give it to the B2BUA's deps). */
  readonly callerPhase: CallerPhase;
  private closing: Promise<void> | undefined;
  /** Enforces the accounts' retention (issue 15). */
  readonly sweeper: RetentionSweeper;

  constructor(private readonly d: RecordingsDeps) {
    const rec = d.config.recorder;
    // Throws on a missing or malformed key: a configuration error must stop the start.
    const keys = new KeyRing(d.config.storage.encryption.keys, d.config.storage.encryption.activeKeyId);
    this.host = recorderHostFrom(rec, keys.active(), d.logger);
    const del = d.config.delivery;
    const s3 = d.config.storage.s3;
    this.queue = new DeliveryQueue({ ...del, allow: [...del.allow], deny: [...del.deny], tls: { ...del.tls } }, {
      logger: d.logger.child({ part: 'delivery' }), keys,
      s3: { credentials: (id) => s3CredentialsOf(d.store, id), partSize: s3.partSizeBytes, multipartThreshold: s3.multipartThresholdBytes },
      sidecar: (id) => sidecarEnabled(d.store, id, d.config.storage.sidecar),
    });
    this.mirror = new RecordingStoreMirror(d.store, d.logger.child({ part: 'recordings' }));
    const ret = d.config.storage.retention;
    this.sweeper = new RetentionSweeper({
      store: d.store, logger: d.logger, ...(d.now ? { now: d.now } : {}),
      recordings: { remove: (id, what) => this.removeRecording(id, what, 'retention') },
      onCdrDeleted: () => d.metrics?.storageDeleted.inc({ kind: 'cdr', by: 'retention' }),
    }, ret.sweepIntervalSec * 1000, ret.batchSize);
    this.queue.on('record', (r: DeliveryRecord) => void this.mirror.write(r));
    this.callerPhase = new CallerPhase({
      host: this.host, recorder: rec,
      deliver: (facts, item, outcome) => this.deliver(facts, item, outcome),
      onStarted: (item) => this.d.metrics?.recordingsStarted.inc({ source: item.source }),
      onRefused: (facts, refused, log) => this.refused(facts, refused, log),
      ...(d.defaults ? { defaults: d.defaults } : {}),
    });
    const m = d.metrics;
    if (m) {
      this.queue.on('success', (e) => {
        m.uploadAttempts.inc({ result: 'success' });
        m.uploadDuration.observe({ result: 'success' }, e.latencyMs / 1000);
      });
      this.queue.on('failure', (e) => {
        const result = uploadResultOf(e.code);
        // A recording held for lack of media was never sent: no upload attempt to count.
        if (e.code !== 'no_media') m.uploadAttempts.inc({ result });
        if (e.latencyMs !== undefined) m.uploadDuration.observe({ result }, e.latencyMs / 1000);
        if (e.final) m.recordingsFinished.inc({ outcome: 'failed' });
      });
      this.queue.on('quarantined', (e) => m.spoolQuarantined.inc({ reason: e.reason }));
      this.queue.on('sidecar', (e) => m.sidecarUploads.inc({ result: e.result }));
      this.queue.on('depth', (q) => {
        m.uploadQueueDepth.set({ status: 'pending' }, q.pending);
        m.uploadQueueDepth.set({ status: 'uploading' }, q.uploading);
        m.uploadQueueDepth.set({ status: 'failed' }, q.failed);
      });
    }
  }

  /**
   * Deletes a recording's kept file and, with `record`, its queue record and store document
   * (retention sweeper, API DELETE). Counted in b2bua_storage_deleted_total.
   */
  async removeRecording(id: string, what: { record: boolean }, by: 'api' | 'retention'): Promise<{ file: boolean; record: boolean }> {
    const done = await this.queue.remove(id, what);
    await this.mirror.flush(); // a write of this record in flight must not recreate the document
    let record = false;
    if (what.record) {
      try {
        await this.d.store.delete('recordings', id, { hard: true });
        record = true;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        record = done !== false && done.record;
      }
    }
    const file = done !== false && done.file;
    if (record) this.d.metrics?.storageDeleted.inc({ kind: 'recording', by });
    if (file) this.d.metrics?.storageDeleted.inc({ kind: 'file', by });
    return { file, record };
  }

  async start(): Promise<void> {
    // Recordings named by media_name are written straight into the spool directory.
    await mkdir(this.d.config.recorder.spoolDir, { recursive: true, mode: 0o700 }); // owner-only (recordings are conversations)
    await this.queue.start();
    // Recorder threads loaded and the lame spawner listening before the first call.
    await this.host.ready();
    this.sweeper.start();
  }

  /** Attaches to every call the B2BUA handles (the recorders listen; they never act on the call). */
  mount(b2bua: B2bua): void {
    b2bua.on('call', (call) => this.attach(call));
  }

  /**
   * Recordings refused: one warn line per call naming each (origin, why) and one count per
   * recording. Without any URL delivery could never send the file, so it is not made; without a
   * recorder session (RecorderUnavailable) there is nothing to record into.
   */
  refused(facts: CallFacts, refused: readonly RefusedRecording[], log: Logger = this.d.logger): void {
    const why = refused.some((r) => r.reason === RefusalReason.RecorderUnavailable)
      ? 'the recorder could not open a session for the call'
      : 'no upload URL in its settings and none configured';
    log.warn({
      accountId: facts.accountId, callId: facts.callId,
      refused: refused.map((r) => ({ origin: r.origin, source: r.source, reason: r.reason })),
    }, `recording refused: ${why} (${refused.map((r) => r.origin).join(', ')})`);
    for (const r of refused) this.d.metrics?.recordingsRefused.inc({ reason: r.reason });
  }

  attach(call: Call): CallRecorder {
    const recorder = new CallRecorder(call, {
      host: this.host,
      recorder: this.d.config.recorder,
      accountById: (id) => this.d.accountById(id),
      deviceById: async (id) => this.d.directory?.deviceById(id),
      deliver: (facts, item, outcome) => this.deliver(facts, item, outcome),
      onStarted: (item) => this.d.metrics?.recordingsStarted.inc({ source: item.source }),
      onSessionClosed: (stats) => this.countRtp(stats),
      onRefused: (facts, refused, log) => this.refused(facts, refused, log),
      ...(this.d.defaults ? { defaults: this.d.defaults } : {}),
    });
    this.recorders.add(recorder);
    this.byCallId.set(call.callId, recorder);
    call.once('ended', () => {
      if (this.byCallId.get(call.callId) === recorder) this.byCallId.delete(call.callId);
      void recorder.close().then(() => this.recorders.delete(recorder));
    });
    return recorder;
  }

  /** The recorder of a call in progress. */
  recorderOf(callId: string): CallRecorder | undefined {
    return this.byCallId.get(callId);
  }

  /**
   * A finished recording: to the durable queue, or recorded as discarded; never rejects. A
   * recording whose media check failed (nothing reached the recorder) is kept and recorded as
   * failed, not sent; a partial one is sent and marked partial (metadata, API, webhook, metric).
   */
  private async deliver(facts: CallFacts, item: RecordingItem, outcome: { result: RecordingResult; media?: MediaVerdict } | { error: Error }): Promise<void> {
    const m = this.d.metrics;
    const log = this.d.logger.child({ callId: facts.callId, accountId: facts.accountId, origin: item.origin });
    if ('error' in outcome) {
      m?.recordingsFinished.inc({ outcome: 'failed' });
      log.error({ err: outcome.error }, 'recording failed');
      return;
    }
    const r = outcome.result;
    // Never begun (e.g. record_on_answer on a call nobody answered): nothing was recorded.
    if (r.startedAt === null) return;
    m?.encoderSeconds.inc({ format: r.format }, r.encoderSec);
    const v = outcome.media;
    const media = v ? { status: v.status, reason: v.reason, legs: Object.fromEntries(Object.entries(v.legs).map(([l, x]) => [l, {
      forwarded: x.forwarded, received: x.received, ...(x.undecryptable ? { undecryptable: x.undecryptable } : {}),
      ...(x.paddedMs ? { padded_ms: x.paddedMs } : {}), ...(x.trimmedMs ? { trimmed_ms: x.trimmedMs } : {}),
    }])) } : undefined;
    const meta = recordingMeta(facts, item, r, media);
    try {
      if (r.discarded) {
        m?.recordingsFinished.inc({ outcome: 'discarded_short' });
        await this.queue.discard(meta, `shorter than record_min_sec (${r.durationSec.toFixed(2)} s < ${item.settings.record_min_sec} s)`);
        return;
      }
      const status = v?.status ?? 'complete';
      // A failed one is counted by the queue's final-failure event (as an upload that cannot succeed).
      if (status !== 'failed') m?.recordingsFinished.inc({ outcome: status === 'complete' ? 'completed' : status });
      if (status !== 'complete') m?.recordingsMediaMissing.inc({ status });
      const hold = status === 'failed' ? { code: 'no_media' as const, message: v?.reason ?? 'no media' } : undefined;
      const rec = await this.queue.enqueue({ filePath: r.path, meta, ...(hold ? { hold } : {}) });
      const line = { id: rec.id, durationSec: r.durationSec, bytes: r.bytes, reason: r.reason, media: status, mediaReason: v?.reason ?? undefined };
      if (status === 'failed') log.error(line, 'recording holds no media: kept, not sent');
      else if (status === 'partial') log.warn(line, 'recording is partial: queued for delivery');
      else log.info(line, 'recording queued for delivery');
    } catch (err) {
      log.error({ err, path: r.path }, 'recording not queued');
    }
  }

  private countRtp(stats: Record<string, LegStats>): void {
    const m = this.d.metrics;
    if (!m) return;
    for (const [leg, s] of Object.entries(stats)) {
      if (leg !== 'caller' && leg !== 'callee') continue;
      m.rtpPackets.inc({ leg, kind: 'received' }, s.received);
      m.rtpPackets.inc({ leg, kind: 'lost' }, s.lost);
      m.rtpPackets.inc({ leg, kind: 'late' }, s.late);
      m.recorderAdjusted.inc({ leg, kind: 'padded' }, s.paddedMs / 1000);
      m.recorderAdjusted.inc({ leg, kind: 'trimmed' }, s.trimmedMs / 1000);
    }
  }

  /** Store writes caught up (tests, shutdown). */
  flush(): Promise<void> {
    return this.mirror.flush();
  }

  /** Idempotent: recorders first (their files reach the queue), then the queue and the pool. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.recorders].map((r) => r.close('closed')));
      await this.callerPhase.close();
      await this.sweeper.close();
      await this.queue.close();
      await this.mirror.flush();
      await this.host.close();
    })();
    return this.closing;
  }
}
