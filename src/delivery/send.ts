import { isS3Url, s3Metadata, uploadToS3, type S3Deps } from '../storage/s3/destination';
import { sendSidecar } from '../storage/sidecar';
import type { PlainFile } from './spool-files';
import type { DeliveryRecord } from './types';
import { parseTarget, upload, type UploadOptions } from './uploader';

/** Throws UrlInvalidError when `url` is no destination we can send to (checked at enqueue; an s3:// URL's account is looked at when sending). */
export function checkDestination(url: string): void {
  if (!isS3Url(url)) parseTarget(url);
}

/** How one attempt reaches the network: the queue's policy, timeouts, TLS and abort signal. */
export type SendOptions = Omit<UploadOptions, 'url' | 'method' | 'body' | 'contentType'>;

export interface SendDeps {
  s3: S3Deps | undefined;
  /** Whether the record's account wants the metadata sidecar after the recording. */
  sidecar: ((accountId: string) => Promise<boolean>) | undefined;
  /** Told how a sidecar upload ended (metrics). */
  onSidecar(result: 'success' | 'failure'): void;
}

/**
 * One delivery attempt's transfer, apart from the queue's bookkeeping (when, how often, what
 * the record says): the recording to its destination (`s3://` URL: S3, else HTTP PUT/POST),
 * then its sidecar when the account asks for one. Throws what the transfer threw; a failed
 * sidecar fails the attempt, so the recording and its sidecar are retried together.
 */
export async function sendRecording(rec: DeliveryRecord, body: PlainFile, o: SendOptions, d: SendDeps): Promise<{ status: number; bytes: number }> {
  const res = isS3Url(rec.targetUrl)
    ? await uploadToS3(d.s3, rec.targetUrl, rec.meta.accountId, body, rec.contentType, s3Metadata(rec), o)
    : await upload({ ...o, url: rec.targetUrl, method: rec.meta.method ?? 'put', body, contentType: rec.contentType });
  if (await d.sidecar?.(rec.meta.accountId)) {
    try {
      await sendSidecar(rec, d.s3, o);
      d.onSidecar('success');
    } catch (err) {
      d.onSidecar('failure');
      throw err;
    }
  }
  return res;
}
