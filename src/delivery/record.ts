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
