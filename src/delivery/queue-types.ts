import type { Logger } from 'pino';
import type { DeliveryConfig } from '../config/sections/delivery';
import type { KeyRing } from '../atrest/keyring';
import type { S3Deps } from '../storage/s3/destination';
import type { DeliveryRecord } from './types';
import type { UploadOptions } from './uploader';

export interface QueueDepth {
  pending: number;
  uploading: number;
  failed: number;
}

/** Typed events for metrics and observers. */
export interface DeliveryQueueEvents {
  attempt: [{ id: string; attempt: number; accountId: string }];
  success: [{ id: string; accountId: string; status: number; bytes: number; latencyMs: number }];
  /** latencyMs is present when the failure ended an attempt (absent for refusals at enqueue/replay). */
  failure: [{ id: string; accountId: string; code: string; message: string; final: boolean; latencyMs?: number }];
  discarded: [{ id: string; accountId: string; reason: string }];
  depth: [QueueDepth];
  /** Encryption at rest: a spool file failed authentication and was moved to quarantine/ (reason: the AtRestError code). */
  quarantined: [{ id: string; accountId: string; reason: string }];
  /** A metadata sidecar upload ended (ok, or failed: the attempt is retried with the recording). */
  sidecar: [{ id: string; accountId: string; result: 'success' | 'failure' }];
  /** Every durable change of a record (after it is on disk): lets the store/API mirror records. */
  record: [DeliveryRecord];
}

export interface DeliveryQueueDeps {
  logger?: Logger;
  now?: () => number;
  rand?: () => number;
  resolve?: UploadOptions['resolve'];
  /** Encryption at rest: files are encrypted on the way in with the active key, opened with any configured one. */
  keys?: KeyRing;
  /** S3 destinations (`s3://bucket/prefix` URLs): the account's credentials and the multipart sizes. */
  s3?: S3Deps;
  /** Whether a recording of this account is followed by its metadata sidecar (`<name>.json`). */
  sidecar?: (accountId: string) => Promise<boolean>;
}

export type ReadonlyDeliveryConfig = Readonly<Omit<DeliveryConfig, 'allow' | 'deny' | 'tls'>> & {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly tls: Readonly<DeliveryConfig['tls']>;
};
