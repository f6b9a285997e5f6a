import { Readable } from 'node:stream';
import type { DeliveryRecord } from '../delivery/types';
import { partiesDoc } from '../delivery/parties';
import type { PlainFile } from '../delivery/spool-files';
import { upload, type UploadOptions } from '../delivery/uploader';
import { isS3Url, uploadToS3, type S3Deps } from './s3/destination';

/**
 * The metadata sidecar (issue 15 item 6): `<name>.json` next to the recording, same destination
 * and method, sent right after the recording within the same delivery attempt (so it shares the
 * queue's durability and retries: a failed sidecar fails the attempt, which sends both again).
 */

/** Pure: the sidecar document of a delivery record. */
export function sidecarDoc(rec: DeliveryRecord): Record<string, unknown> {
  const m = rec.meta as DeliveryRecord['meta'] & { codec?: unknown };
  const legs = m.media?.legs ?? null;
  return {
    recording_id: rec.id,
    call_id: m.callId,
    cdr_id: rec.cdrId,
    account_id: m.accountId,
    name: rec.name,
    parties: {
      from: m.from ?? null, to: m.to ?? null,
      caller_id_name: m.callerIdName ?? null, caller_id_number: m.callerIdNumber ?? null,
      callee_id_name: m.calleeIdName ?? null, callee_id_number: m.calleeIdNumber ?? null,
      owner_id: m.ownerId ?? null,
      // Every party the call reached while recorded, in order (a transfer adds the new party).
      reached: partiesDoc(m.parties),
    },
    direction: m.direction ?? null,
    origin: m.origin ?? null,
    start: new Date(m.startedAt).toISOString(),
    start_ms: m.startedAt,
    duration_ms: m.durationMs,
    // Present when the recording was paused (PCI): offsets in the file and wall-clock times.
    ...(m.paused !== undefined ? { paused: m.paused } : {}),
    format: m.format,
    sample_rate: m.sampleRate ?? null,
    codec: m.codec ?? null,
    media_status: m.media?.status ?? null,
    // Per leg: packets rtpengine received from the party (forwarded to us), those that reached the recorder, and the difference.
    media_legs: legs && Object.fromEntries(Object.entries(legs).map(([leg, l]) => [leg, { ...l, lost: Math.max(0, l.forwarded - l.received) }])),
  };
}

/** The sidecar's name: the recording's with .json for its extension. */
export function sidecarName(name: string): string {
  return name.replace(/\.[a-z0-9]+$/i, '') + '.json';
}

/** The sidecar's URL: the recording's target with its name replaced (path or query, as Kazoo placed it). */
export function sidecarUrl(rec: DeliveryRecord): string {
  const i = rec.targetUrl.lastIndexOf(rec.name);
  if (i >= 0) return rec.targetUrl.slice(0, i) + sidecarName(rec.name) + rec.targetUrl.slice(i + rec.name.length);
  // s3 keys keep only unreserved characters: replace the extension of the key instead.
  return rec.targetUrl.replace(/\.[a-z0-9]+$/i, '.json');
}

export async function sendSidecar(
  rec: DeliveryRecord, s3: S3Deps | undefined,
  o: Omit<UploadOptions, 'url' | 'method' | 'body' | 'contentType'>,
): Promise<void> {
  const buf = Buffer.from(`${JSON.stringify(sidecarDoc(rec), null, 1)}\n`);
  const body: PlainFile = { size: buf.length, keyId: null, open: () => Readable.from([buf]) };
  const url = sidecarUrl(rec);
  if (isS3Url(url)) await uploadToS3(s3, url, rec.meta.accountId, body, 'application/json', { 'recording-id': rec.id, 'call-id': rec.meta.callId }, o);
  else await upload({ ...o, url, method: rec.meta.method ?? 'put', body, contentType: 'application/json' });
}
