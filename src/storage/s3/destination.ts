import type { DeliveryRecord } from '../../delivery/types';
import type { PlainFile } from '../../delivery/spool-files';
import { DeliveryError } from '../../delivery/errors';
import { parseS3Url, type S3ClientOptions, type S3Target } from './client';
import { s3Upload } from './upload';

/** What the delivery queue needs for `s3://` URLs. */
export interface S3Deps {
  /** The account's S3 settings with its secret (nearest in the account tree), or undefined. */
  credentials(accountId: string): Promise<S3Target | undefined>;
  partSize: number;
  multipartThreshold: number;
}

export function isS3Url(url: string): boolean {
  return url.startsWith('s3://');
}

/**
 * s3://bucket/prefix + name -> s3://bucket/prefix/name (throws UrlInvalidError on a bad URL).
 * Key characters are kept to RFC 3986's unreserved set and `/` (others become `_`), so the
 * signed path is the same whichever way a server canonicalizes percent-encoding (moto, for one,
 * rejected a correctly signed `@` or `%`).
 */
export function s3TargetUrl(url: string, name: string): string {
  const { bucket, prefix } = parseS3Url(url);
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._~/-]/g, '_');
  return `s3://${bucket}/${prefix ? `${safe(prefix)}/` : ''}${safe(name.replace(/%[0-9A-F]{2}/g, '_'))}`;
}

/** The recording's metadata as S3 object metadata (x-amz-meta-*), as the HTTP upload sends it in the query. */
export function s3Metadata(rec: DeliveryRecord): Record<string, string> {
  const m = rec.meta;
  const out: Record<string, string> = {
    'call-id': m.callId, 'account-id': m.accountId, 'recording-id': rec.id, 'cdr-id': rec.cdrId,
    start: new Date(m.startedAt).toISOString(), 'duration-ms': String(m.durationMs), format: m.format,
  };
  if (m.from) out.from = m.from;
  if (m.to) out.to = m.to;
  if (m.origin) out.origin = m.origin;
  if (m.direction) out.direction = m.direction;
  return out;
}

export async function uploadToS3(
  deps: S3Deps | undefined, url: string, accountId: string, body: PlainFile, contentType: string,
  metadata: Record<string, string>, o: S3ClientOptions,
): Promise<{ status: number; bytes: number; finalUrl: string }> {
  const target = deps ? await deps.credentials(accountId) : undefined;
  if (!deps || !target) throw new DeliveryError('url_invalid', 'no S3 credentials (storage.s3 with a secret) in the account settings', false);
  return s3Upload({ target, url, body, contentType, metadata, partSize: deps.partSize, multipartThreshold: deps.multipartThreshold }, o);
}
