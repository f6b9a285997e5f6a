import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import pino, { type Logger } from 'pino';
import { backoffDelay, nextAttemptAt } from './backoff';
import { DeliveryError, FileMissingError, HorizonReachedError, UrlInvalidError } from './errors';
import { Journal, exists } from './journal';
import { SpoolFiles, SpoolFileError, type PlainFile } from './spool-files';
import { NetworkPolicy } from './netpolicy';
import { DeliveryEvent, DeliveryStatus, nextStatus } from './status';
import type { DeliveryJob, DeliveryRecord, RecordingMeta } from './types';
import { checkDestination, sendRecording } from './send';
import { redactUrl } from './url';
import { depthOf, dueBy, modbPrefix, newDeliveryRecord } from './record';
import type { DeliveryQueueDeps, DeliveryQueueEvents, QueueDepth, ReadonlyDeliveryConfig } from './queue-types';

export type { DeliveryQueueDeps, DeliveryQueueEvents, QueueDepth, ReadonlyDeliveryConfig } from './queue-types';
import { notifyWebhook, type WebhookEvent } from './webhook';

/**
 * The durable delivery queue: a finished recording is journaled and moved into the spool before
 * anything is sent, uploaded with retries until the horizon, and replayed after a restart.
 * Records are never deleted; files are removed only after a confirmed upload (unless kept).
 */
export class DeliveryQueue extends EventEmitter<DeliveryQueueEvents> {
  private readonly journal: Journal;
  private readonly spool: SpoolFiles;
  private readonly policy: NetworkPolicy;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly rand: () => number;
  private readonly records = new Map<string, DeliveryRecord>();
  private readonly inflight = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  /** Records being removed: an upload aborted for that is not a failure. */
  private readonly removing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ca: Buffer | undefined;
  private started = false;
  private closed = false;

  constructor(
    private readonly cfg: ReadonlyDeliveryConfig,
    private readonly deps: DeliveryQueueDeps = {},
  ) {
    super();
    this.journal = new Journal(cfg.spoolDir, deps.keys);
    this.spool = new SpoolFiles(cfg.spoolDir, deps.keys);
    // Throws CidrSyntaxError on a bad rule: a configuration error must stop the start.
    this.policy = new NetworkPolicy(cfg.allow, cfg.deny);
    this.log = (deps.logger ?? pino({ level: 'silent' })).child({ part: 'delivery' });
    this.now = deps.now ?? Date.now;
    this.rand = deps.rand ?? Math.random;
  }

  /** Opens the spool and replays it: interrupted uploads and moves are resumed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.cfg.tls.caFile) this.ca = await fsp.readFile(this.cfg.tls.caFile);
    await this.journal.open();
    const loaded = await this.journal.loadAll((file, err) => this.log.error({ file, err: err.message }, 'unreadable queue record kept aside'));
    for (const rec of loaded) {
      await this.recover(rec);
      this.records.set(rec.id, rec);
    }
    const known = new Set(loaded.map((r) => r.file).filter((f): f is string => f !== null));
    for (const f of await this.journal.listFiles()) {
      if (!known.has(f)) this.log.error({ file: this.journal.filePath(f) }, 'recording file without a queue record kept in the spool');
    }
    this.log.info({ records: loaded.length, ...this.depth() }, 'delivery queue replayed');
    this.emit('depth', this.depth());
    this.pump();
  }

  private async recover(rec: DeliveryRecord): Promise<void> {
    const now = this.now();
    if (rec.status === DeliveryStatus.Uploading) {
      // Killed mid-attempt: the receiver may hold a partial file; the retry reuses the same URL.
      this.move(rec, DeliveryEvent.Recover);
      rec.nextAttemptAt = now;
      await this.persist(rec);
    }
    // A restart is a good moment to try again (the receiver may have been fixed meanwhile).
    if (rec.status === DeliveryStatus.Pending) rec.nextAttemptAt = Math.min(rec.nextAttemptAt ?? now, now);
    if (rec.file === null) return;
    const path = this.journal.filePath(rec.file);
    const live = rec.status === DeliveryStatus.Pending;
    if (live && !(await exists(path))) {
      if (rec.sourcePath && (await exists(rec.sourcePath))) {
        await this.spool.moveIn(rec.sourcePath, path, this.journal.filesDir); // enqueue was interrupted
      } else {
        await this.fail(rec, new FileMissingError(path), false);
      }
    }
    if (rec.status === DeliveryStatus.Uploaded && !this.cfg.keepUploaded && (await exists(path))) {
      await fsp.rm(path, { force: true }); // killed between the record and the unlink
    }
  }

  /**
   * Takes a finished recording: journals it (fsync) and moves the file into the spool, then
   * schedules the upload. Resolves with the record once both are durable.
   */
  async enqueue(job: DeliveryJob): Promise<DeliveryRecord> {
    this.assertOpen();
    const st = await fsp.stat(job.filePath).catch(() => null);
    if (!st) throw new FileMissingError(job.filePath);
    const rec = this.newRecord(job.meta, `${modbPrefix(job.meta.startedAt)}-${randomBytes(16).toString('hex')}`, st.size);
    rec.file = `${rec.id}.${job.meta.format}`;
    rec.sourcePath = job.filePath;
    rec.keyId = await this.spool.keyIdFor(job.filePath);
    let invalid: UrlInvalidError | null = null;
    try {
      checkDestination(rec.targetUrl);
    } catch (err) {
      invalid = err as UrlInvalidError;
    }
    await this.persist(rec);
    await this.spool.moveIn(job.filePath, this.journal.filePath(rec.file), this.journal.filesDir);
    this.records.set(rec.id, rec);
    this.childLog(rec).info({ url: redactUrl(rec.targetUrl), size: rec.size }, 'recording queued for delivery');
    if (job.hold) await this.fail(rec, new DeliveryError(job.hold.code, job.hold.message, false), true);
    else if (invalid) await this.fail(rec, invalid, true);
    this.emit('depth', this.depth());
    this.pump();
    return structuredClone(rec);
  }

  /** Records a recording that is not delivered (e.g. shorter than record_min_sec) and deletes its file. */
  async discard(meta: RecordingMeta, reason: string, filePath?: string): Promise<DeliveryRecord> {
    this.assertOpen();
    const rec = this.newRecord(meta, `${modbPrefix(meta.startedAt)}-${randomBytes(16).toString('hex')}`, 0);
    this.move(rec, DeliveryEvent.Discard);
    rec.nextAttemptAt = null;
    rec.lastError = null;
    await this.persist(rec);
    if (filePath) await fsp.rm(filePath, { force: true });
    this.records.set(rec.id, rec);
    this.emit('discarded', { id: rec.id, accountId: meta.accountId, reason });
    return structuredClone(rec);
  }

  /** Operator action: try a failed recording again, with a fresh horizon. */
  async requeue(id: string): Promise<DeliveryRecord> {
    this.assertOpen();
    const rec = this.records.get(id);
    if (!rec) throw new DeliveryError('invalid_transition', `no recording ${id}`, false);
    this.move(rec, DeliveryEvent.Requeue);
    rec.horizonFrom = this.now();
    rec.nextAttemptAt = rec.horizonFrom;
    await this.persist(rec);
    this.emit('depth', this.depth());
    this.pump();
    return structuredClone(rec);
  }

  list(filter: { accountId?: string; status?: DeliveryStatus } = {}): DeliveryRecord[] {
    return [...this.records.values()]
      .filter((r) => (filter.accountId === undefined || r.meta.accountId === filter.accountId) && (filter.status === undefined || r.status === filter.status))
      .sort((a, b) => a.enqueuedAt - b.enqueuedAt || a.id.localeCompare(b.id))
      .map((r) => structuredClone(r));
  }

  get(id: string): DeliveryRecord | undefined {
    const r = this.records.get(id);
    return r ? structuredClone(r) : undefined;
  }

  /**
   * Deletes a recording's kept file, and with `record` its queue record too (retention, GDPR
   * delete). An upload in flight is aborted first. Resolves with what was removed; false when unknown.
   */
  async remove(id: string, what: { record: boolean }): Promise<{ file: boolean; record: boolean } | false> {
    this.assertOpen();
    const rec = this.records.get(id);
    if (!rec) return false;
    const flight = this.inflight.get(id);
    if (flight) {
      this.removing.add(id);
      flight.ctl.abort();
      await flight.done;
      this.removing.delete(id);
    }
    let file = false;
    if (rec.file) {
      const path = this.journal.filePath(rec.file);
      file = await exists(path);
      await fsp.rm(path, { force: true });
    }
    if (what.record) {
      this.records.delete(id);
      await this.journal.remove(id);
    } else if (rec.file) {
      rec.fileKept = false;
      rec.file = null;
      if (rec.status === DeliveryStatus.Pending || rec.status === DeliveryStatus.Uploading) {
        await this.fail(rec, new DeliveryError('file_missing', 'file deleted by retention', false), false);
      } else await this.persist(rec);
    }
    this.emit('depth', this.depth());
    return { file, record: what.record };
  }

  /** Absolute path of a record's file in the spool (for the API's file download), or null. */
  filePathOf(id: string): string | null {
    const r = this.records.get(id);
    if (!r || !r.file) return null;
    if (r.status === DeliveryStatus.Uploaded && !this.cfg.keepUploaded) return null;
    return this.journal.filePath(r.file);
  }

  depth(): QueueDepth {
    return depthOf(this.records.values());
  }

  /** What a shutdown may wait for (see dueBy in record.ts). */
  dueBy(epochMs: number): number {
    return dueBy(this.records.values(), epochMs);
  }

  /** Stops scheduling and aborts uploads in flight; their records stay "uploading" on disk and are resumed at the next start. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    for (const f of this.inflight.values()) f.ctl.abort();
    await Promise.all([...this.inflight.values()].map((f) => f.done));
    this.removeAllListeners();
  }

  private assertOpen(): void {
    if (!this.started || this.closed) throw new DeliveryError('aborted', 'delivery queue is not running', false);
  }

  private newRecord(meta: RecordingMeta, id: string, size: number): DeliveryRecord {
    return newDeliveryRecord(meta, id, size, this.now());
  }

  private async persist(rec: DeliveryRecord): Promise<void> {
    await this.journal.write(rec);
    if (this.listenerCount('record') > 0) this.emit('record', structuredClone(rec));
  }

  /** All status changes go through here (and so through the transition table). */
  private move(rec: DeliveryRecord, ev: DeliveryEvent): void {
    rec.status = nextStatus(rec.status, ev);
    rec.updatedAt = this.now();
  }

  private childLog(rec: DeliveryRecord): Logger {
    return this.log.child({ recordingId: rec.id, callId: rec.meta.callId, accountId: rec.meta.accountId });
  }

  /** The scheduler: the only owner of the queue's timer. Starts due uploads up to the concurrency. */
  private pump(): void {
    if (this.closed || !this.started) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    const waiting = [...this.records.values()]
      .filter((r) => r.status === DeliveryStatus.Pending && !this.inflight.has(r.id))
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
    for (const rec of waiting) {
      if (this.inflight.size >= this.cfg.concurrency) return; // a finishing upload pumps again
      const at = rec.nextAttemptAt ?? now;
      if (at > now) {
        // setTimeout holds 32-bit delays only.
        this.timer = setTimeout(() => this.pump(), Math.min(at - now, 2 ** 31 - 1));
        return;
      }
      const ctl = new AbortController();
      const done = this.attempt(rec, ctl).catch((err: Error) => this.childLog(rec).error({ err: err.message }, 'delivery bookkeeping failed'));
      this.inflight.set(rec.id, { ctl, done });
    }
  }

  private async attempt(rec: DeliveryRecord, ctl: AbortController): Promise<void> {
    const log = this.childLog(rec);
    try {
      this.move(rec, DeliveryEvent.Send);
      rec.attempts++;
      await this.persist(rec); // a crash from here on is seen as an interrupted attempt
      this.emit('attempt', { id: rec.id, attempt: rec.attempts, accountId: rec.meta.accountId });
      this.emit('depth', this.depth());
      const t0 = this.now();
      const path = this.journal.filePath(rec.file as string);
      try {
        const body = await this.spool.check(path, rec.keyId);
        const res = await sendRecording(rec, body, {
          policy: this.policy, connectTimeoutMs: this.cfg.connectTimeoutMs, transferTimeoutMs: this.cfg.transferTimeoutMs, maxRedirects: this.cfg.maxRedirects,
          ca: this.ca, rejectUnauthorized: this.cfg.tls.rejectUnauthorized, signal: ctl.signal, resolve: this.deps.resolve,
        }, {
          s3: this.deps.s3, sidecar: this.deps.sidecar,
          onSidecar: (result) => this.emit('sidecar', { id: rec.id, accountId: rec.meta.accountId, result }),
        });
        await this.succeed(rec, res.status);
        log.info({ status: res.status, bytes: res.bytes, attempt: rec.attempts }, 'recording delivered');
        this.emit('success', { id: rec.id, accountId: rec.meta.accountId, status: res.status, bytes: res.bytes, latencyMs: this.now() - t0 });
      } catch (err) {
        if (ctl.signal.aborted && (this.closed || this.removing.has(rec.id))) return; // closing: resumed at next start; removing: gone
        const e = err instanceof DeliveryError ? err : (await this.spool.streamError(path, err)) ?? new DeliveryError('connection_failed', (err as Error).message, true);
        if (e instanceof SpoolFileError) this.onSpoolFileError(rec, e, log);
        await this.failedAttempt(rec, e, log, this.now() - t0);
      }
    } finally {
      this.inflight.delete(rec.id);
      this.emit('depth', this.depth());
      this.pump();
    }
  }

  /** A tampered file is out of files/ now: the record says where, the log and the metric say why (no key material). */
  private onSpoolFileError(rec: DeliveryRecord, e: SpoolFileError, log: Logger): void {
    if (e.quarantinedTo === null) {
      log.error({ code: e.atRest.code, keyId: rec.keyId }, 'recording file names a key that is not configured: kept, not sent');
      return;
    }
    rec.file = null;
    log.error({ code: e.atRest.code, keyId: rec.keyId, quarantine: e.quarantinedTo }, 'recording file failed authentication: quarantined, not sent');
    this.emit('quarantined', { id: rec.id, accountId: rec.meta.accountId, reason: e.atRest.code.replace(/^ATREST_/, '').toLowerCase() });
  }

  /**
   * A kept file's plaintext for the API's download (authenticated first; a tampered file is
   * quarantined and the record failed). Null when there is no file.
   */
  async openFile(id: string): Promise<PlainFile | null> {
    const rec = this.records.get(id);
    const path = this.filePathOf(id);
    if (!rec || path === null) return null;
    try {
      return await this.spool.check(path, rec.keyId);
    } catch (err) {
      if (!(err instanceof SpoolFileError)) return null;
      this.onSpoolFileError(rec, err, this.childLog(rec));
      // Pending: failed now (never sent); an upload in flight fails by itself; others keep their status.
      if (rec.status === DeliveryStatus.Pending && !this.inflight.has(id)) await this.fail(rec, err, false);
      else {
        rec.lastError = { code: err.code, message: err.message, at: this.now() };
        await this.persist(rec);
      }
      return null;
    }
  }

  private async succeed(rec: DeliveryRecord, status: number): Promise<void> {
    this.move(rec, DeliveryEvent.Succeed);
    rec.uploadedAt = this.now();
    rec.httpStatus = status;
    rec.nextAttemptAt = null;
    rec.fileKept = this.cfg.keepUploaded;
    await this.persist(rec);
    // Only after the record says "uploaded" on disk may the file go.
    if (!this.cfg.keepUploaded && rec.file) await fsp.rm(this.journal.filePath(rec.file), { force: true });
    this.notify('recording.uploaded', rec);
  }

  private async failedAttempt(rec: DeliveryRecord, e: DeliveryError, log: Logger, latencyMs: number): Promise<void> {
    const now = this.now();
    rec.lastError = { code: e.code, message: e.message, at: now };
    if (!e.retryable) {
      log.warn({ code: e.code, err: e.message }, 'recording cannot be delivered');
      await this.fail(rec, e, false, latencyMs);
      return;
    }
    const at = nextAttemptAt(now, rec.horizonFrom, this.cfg.horizonMs, backoffDelay(rec.attempts, this.cfg.backoffBaseMs, this.cfg.backoffMaxMs, this.rand));
    if (at === null) {
      const h = new HorizonReachedError(this.cfg.horizonMs, `${e.code}: ${e.message}`);
      log.error({ code: e.code, err: e.message, attempts: rec.attempts }, 'retry horizon reached, recording kept in the spool');
      await this.fail(rec, h, false, latencyMs);
      return;
    }
    this.move(rec, DeliveryEvent.Retry);
    rec.nextAttemptAt = at;
    await this.persist(rec);
    log.warn({ code: e.code, err: e.message, attempt: rec.attempts, retryInMs: at - now }, 'upload failed, will retry');
    this.emit('failure', { id: rec.id, accountId: rec.meta.accountId, code: e.code, message: e.message, final: false, latencyMs });
  }

  /** Final failure: the file stays in the spool, the record says why. Never deletes anything. */
  private async fail(rec: DeliveryRecord, e: DeliveryError, fromEnqueue: boolean, latencyMs?: number): Promise<void> {
    this.move(rec, DeliveryEvent.Fail);
    rec.lastError = { code: e.code, message: e.message, at: this.now() };
    rec.nextAttemptAt = null;
    rec.fileKept = rec.file !== null;
    await this.persist(rec);
    if (fromEnqueue) this.childLog(rec).warn({ code: e.code, err: e.message }, 'recording cannot be delivered');
    this.emit('failure', { id: rec.id, accountId: rec.meta.accountId, code: e.code, message: e.message, final: true, latencyMs });
    this.notify('recording.failed', rec);
  }

  private notify(event: WebhookEvent, rec: DeliveryRecord): void {
    if (!this.cfg.webhookUrl) return;
    void notifyWebhook(this.cfg.webhookUrl, this.cfg.webhookTimeoutMs, event, structuredClone(rec), this.childLog(rec));
  }
}
