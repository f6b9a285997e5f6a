import type { QueueDepth } from './queue-types';
import type { DeliveryRecord, RecordingMeta } from './types';
import { DeliveryStatus } from './status';
import { buildUploadUrl, contentTypeFor, recordingName, urlFieldsOf } from './url';
import { isS3Url, s3TargetUrl } from '../storage/s3/destination';

/** Kazoo's MODB prefix: YYYYMM of the given time (UTC). */
export function modbPrefix(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** A new pending record of a recording (the URL built once, so every retry uses the same). */
export function newDeliveryRecord(meta: RecordingMeta, id: string, size: number, now: number): DeliveryRecord {
  const cdrId = `${modbPrefix(meta.startedAt)}-${meta.callId}`;
  const m: RecordingMeta = { ...meta, method: meta.method ?? 'put' };
  return {
    id,
    status: DeliveryStatus.Pending,
    meta: m,
    cdrId,
    file: null,
    sourcePath: null,
    size,
    // s3://bucket/prefix/<name>: the name as Kazoo's, the metadata as object metadata instead of a query.
    targetUrl: isS3Url(meta.url) ? s3TargetUrl(meta.url, recordingName(meta.callId, meta.format)) : buildUploadUrl(meta.url, urlFieldsOf(m, id, cdrId)),
    name: recordingName(meta.callId, meta.format),
    contentType: contentTypeFor(meta.format),
    attempts: 0,
    lastError: null,
    enqueuedAt: now,
    horizonFrom: now,
    updatedAt: now,
    nextAttemptAt: now,
    uploadedAt: null,
    httpStatus: null,
    fileKept: true,
  };
}

/** Records by queue status (the `b2bua_upload_queue_depth` gauge). */
export function depthOf(records: Iterable<DeliveryRecord>): QueueDepth {
  const d: QueueDepth = { pending: 0, uploading: 0, failed: 0 };
  for (const r of records) {
    if (r.status === DeliveryStatus.Pending) d.pending++;
    else if (r.status === DeliveryStatus.Uploading) d.uploading++;
    else if (r.status === DeliveryStatus.Failed) d.failed++;
  }
  return d;
}

/**
 * Uploads in flight plus those pending whose next attempt is due at or before `epochMs`: what
 * a shutdown may wait for. A recording waiting out a backoff past that time is not counted;
 * it stays in the durable queue and is retried at the next start.
 */
export function dueBy(records: Iterable<DeliveryRecord>, epochMs: number): number {
  let n = 0;
  for (const r of records) {
    if (r.status === DeliveryStatus.Uploading) n++;
    else if (r.status === DeliveryStatus.Pending && (r.nextAttemptAt ?? 0) <= epochMs) n++;
  }
  return n;
}
