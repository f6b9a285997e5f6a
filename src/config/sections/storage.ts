import { Type, type Static } from '@sinclair/typebox';

/**
 * Storage of recordings: encryption at rest of the spool files, the retention sweeper, S3
 * uploads and the metadata sidecar (issue 15). Per-account retention and S3 credentials are
 * account settings (the store), not configuration.
 */
export const StorageSection = Type.Object({
  encryption: Type.Object({
    /**
     * Keys that can open spool files, each from a file (32 raw bytes or base64 text) or from a
     * base64 environment variable. Keep a rotated-out key here until its files are gone.
     */
    keys: Type.Array(Type.Object({
      id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
      file: Type.Optional(Type.String({ minLength: 1 })),
      env: Type.Optional(Type.String({ minLength: 1 })),
    }, { additionalProperties: false }), { default: [] }),
    /** The key new spool files are encrypted with; unset: new files are written in clear. */
    activeKeyId: Type.Optional(Type.String({ minLength: 1 })),
  }, { default: {} }),
  retention: Type.Object({
    /** How often the sweeper enforces the accounts' retention. */
    sweepIntervalSec: Type.Integer({ minimum: 1, maximum: 86_400, default: 3600 }),
    /** Most deletions per sweep (a backlog is worked off over several sweeps). */
    batchSize: Type.Integer({ minimum: 1, maximum: 100_000, default: 500 }),
  }, { default: {} }),
  s3: Type.Object({
    /** Recordings up to this size go in one PutObject; larger ones by multipart upload. */
    multipartThresholdBytes: Type.Integer({ minimum: 1, default: 16 * 1024 * 1024 }),
    /** Part size of a multipart upload (S3's minimum for all but the last part is 5 MiB); one part is held in memory. */
    partSizeBytes: Type.Integer({ minimum: 5 * 1024 * 1024, maximum: 5 * 1024 * 1024 * 1024, default: 8 * 1024 * 1024 }),
  }, { default: {} }),
  /** Follow every recording with `<name>.json` (its metadata) unless the account's `storage.sidecar` says otherwise. */
  sidecar: Type.Boolean({ default: false }),
}, { default: {} });

export type StorageConfig = Static<typeof StorageSection>;
