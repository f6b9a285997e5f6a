import type { Logger } from 'pino';
import { partiesDoc, type DeliveryRecord } from '../delivery';
import { NotFoundError, type DocumentStore, type JsonObject } from '../store';

/**
 * Mirrors the delivery queue's records into the store's `recordings` collection (one document
 * per recording, `_id` = the delivery record's id, so the API and the queue name it alike).
 * The queue's journal stays the source of truth; this copy is what the REST API lists.
 */

/** Pure: the API-facing document of a delivery record (Kazoo-like field names). */
export function recordingDoc(r: DeliveryRecord): JsonObject {
  const m = r.meta;
  return {
    call_id: m.callId,
    cdr_id: r.cdrId,
    origin: m.origin ?? null,
    label: m.label ?? null,
    from: m.from ?? null,
    to: m.to ?? null,
    caller_id_name: m.callerIdName ?? null,
    caller_id_number: m.callerIdNumber ?? null,
    callee_id_number: m.calleeIdNumber ?? null,
    owner_id: m.ownerId ?? null,
    direction: m.direction ?? null,
    start: Math.floor(m.startedAt / 1000),
    start_ms: m.startedAt,
    duration_ms: m.durationMs,
    duration: Math.round(m.durationMs / 1000),
    media_type: m.format,
    sample_rate: m.sampleRate ?? null,
    content_type: r.contentType,
    name: r.name,
    size: r.size,
    url: r.targetUrl,
    method: m.method ?? 'put',
    status: r.status,
    attempts: r.attempts,
    last_error: r.lastError ? { code: r.lastError.code, message: r.lastError.message, at: r.lastError.at } : null,
    uploaded_at: r.uploadedAt,
    http_status: r.httpStatus,
    file_kept: r.fileKept,
    // Whether the file holds the call's media (complete | partial | failed), and why not.
    media_status: m.media?.status ?? null,
    media_error: m.media?.reason ?? null,
    media_legs: m.media?.legs ?? null,
    // Paused stretches (PCI): offset in the file and length in ms, wall clock of pause and resume.
    paused_intervals: (m.paused ?? []).map((p) => ({ offset_ms: p.offsetMs, duration_ms: p.durationMs, started_at_ms: p.startedAt, ended_at_ms: p.endedAt, omitted: p.omitted })),
    // Every party the call reached while recorded, in order (a transfer adds the new party).
    parties: partiesDoc(m.parties),
  };
}

export class RecordingStoreMirror {
  /** Per-record write chain: events of one record are written in order. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly store: DocumentStore, private readonly log: Logger) {}

  write(r: DeliveryRecord): Promise<void> {
    const prev = this.chains.get(r.id) ?? Promise.resolve();
    const next = prev.then(() => this.upsert(r)).catch((err: unknown) => {
      this.log.error({ err, id: r.id }, 'recording record not written to the store');
    });
    this.chains.set(r.id, next);
    void next.then(() => {
      if (this.chains.get(r.id) === next) this.chains.delete(r.id);
    });
    return next;
  }

  /** Resolves once every write started so far is done. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private async upsert(r: DeliveryRecord): Promise<void> {
    const body = recordingDoc(r);
    try {
      await this.store.replace('recordings', r.id, body);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await this.store.create('recordings', r.meta.accountId, body, { id: r.id });
    }
  }
}
