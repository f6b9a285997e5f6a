import { Type, type Static } from '@sinclair/typebox';

/**
 * An account's `storage` settings: the credentials of its S3-compatible buckets (used by
 * `s3://bucket/prefix` recording URLs) and the metadata sidecar. `secret_access_key` is
 * write-only: the API stores it in a private field and never returns it.
 */
export const S3SettingsSchema = Type.Object({
  /** https://host[:port] of the S3 API; absent: AWS (https://s3.<region>.amazonaws.com). */
  endpoint: Type.Optional(Type.String({ minLength: 8, maxLength: 512, pattern: '^https?://[^/?#@]+/?$' })),
  region: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$', default: 'us-east-1' }),
  access_key_id: Type.String({ minLength: 1, maxLength: 128 }),
  secret_access_key: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  /** https://endpoint/bucket/key (MinIO, most S3-compatible servers) rather than https://bucket.endpoint/key. */
  path_style: Type.Boolean({ default: false }),
}, { additionalProperties: false });

export const AccountStorageSchema = Type.Object({
  s3: Type.Optional(S3SettingsSchema),
  /** Upload `<name>.json` with the call's metadata after each recording (inherited down the tree). */
  sidecar: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export type S3Settings = Static<typeof S3SettingsSchema>;
export type AccountStorage = Static<typeof AccountStorageSchema>;

/** Where the write-only secret lives in the stored document (pvt_ fields are never returned by the API). */
export const S3_SECRET_FIELD = 'pvt_s3_secret_access_key';

/**
 * Pure: removes `storage.s3.secret_access_key` from a validated account body and returns the
 * private fields to store instead (empty when no secret was given: the stored one is kept).
 */
export function takeS3Secret(doc: Record<string, unknown>): Record<string, string> {
  const storage = doc['storage'];
  if (typeof storage !== 'object' || storage === null) return {};
  const s3 = (storage as Record<string, unknown>)['s3'];
  if (typeof s3 !== 'object' || s3 === null) return {};
  const secret = (s3 as Record<string, unknown>)['secret_access_key'];
  delete (s3 as Record<string, unknown>)['secret_access_key'];
  return typeof secret === 'string' ? { [S3_SECRET_FIELD]: secret } : {};
}
