import type { DeliveryStatus } from './status';
import type { DeliveryErrorCode } from './errors';

export type RecordingFormat = 'mp3' | 'wav';
export type UploadMethod = 'put' | 'post';

/** What the recorder knows about a finished recording; the caller of enqueue() fills it. */
export interface RecordingMeta {
  accountId: string;
  callId: string;
  /** Why the recording exists, e.g. "inbound from offnet to user" (Kazoo's `origin`). */
  origin?: string;
  label?: string;
  /** SIP From / To of the call (user@host), as Kazoo's `from` / `to`. */
  from?: string;
  to?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  calleeIdName?: string;
  calleeIdNumber?: string;
  ownerId?: string;
  interactionId?: string;
  direction?: 'inbound' | 'outbound';
  /** Start of the recording, Unix epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  format: RecordingFormat;
  sampleRate?: number;
  /** The customer's storage URL from the recording settings. */
  url: string;
  method?: UploadMethod;
  /** Whether the file holds the media the call carried (the recorder's check against rtpengine's counters). */
  media?: RecordingMediaInfo;
  /** Stretches the recording was paused (PCI): file offset and length in ms, wall-clock epoch ms. */
  paused?: { offsetMs: number; durationMs: number; startedAt: number; endedAt: number; omitted: boolean }[];
  /** Every party the call reached until the recording ended, in order (transfers add parties). */
  parties?: RecordingParty[];
}

/** One party of a recorded call: its side, how it joined, who it is, when it joined and left (epoch ms). */
export interface RecordingParty {
  role: 'caller' | 'callee';
  joined: 'call' | 'transfer' | 'attended_transfer';
  number?: string;
  deviceId?: string;
  ownerId?: string;
  resourceId?: string;
  joinedAt: number;
  /** Absent: still in the call when the recording ended. */
  leftAt?: number;
}

export interface RecordingMediaInfo {
  /** complete: every party's media reached the file; partial: some of it is missing; failed: none did. */
  status: 'complete' | 'partial' | 'failed';
  /** Why not complete; null when complete. */
  reason: string | null;
  /** Per leg: packets rtpengine received from the party, and those that reached the recorder. */
  legs?: Record<string, { forwarded: number; received: number }>;
}

export interface DeliveryJob {
  /** Path of the finished recording; the file is moved into the spool by enqueue(). */
  filePath: string;
  meta: RecordingMeta;
  /**
   * Keep the file but do not send it: the record is failed at once with this code and message
   * (e.g. a recording that received no media). An operator may still requeue it.
   */
  hold?: { code: DeliveryErrorCode; message: string };
}

export interface DeliveryErrorInfo {
  code: DeliveryErrorCode;
  message: string;
  /** Epoch ms. */
  at: number;
}

/** The durable record of one recording. Persisted as JSON; every field is plain data. */
export interface DeliveryRecord {
  /** Kazoo-style recording document id: YYYYMM-<32 hex>. */
  id: string;
  status: DeliveryStatus;
  meta: RecordingMeta;
  /** Kazoo's cdr_id: YYYYMM-<call-id>. */
  cdrId: string;
  /** File name inside the spool's files/ directory (null for discarded recordings). */
  file: string | null;
  /** Where the file was before enqueue moved it (lets start-up finish an interrupted move). */
  sourcePath: string | null;
  size: number;
  /** The target URL built once at enqueue, so every retry uses the same URL and name. */
  targetUrl: string;
  /** call_recording_<call-id>.<ext> */
  name: string;
  contentType: string;
  attempts: number;
  lastError: DeliveryErrorInfo | null;
  enqueuedAt: number;
  /** The retry horizon runs from here (enqueue, or an operator's requeue). */
  horizonFrom: number;
  updatedAt: number;
  nextAttemptAt: number | null;
  uploadedAt: number | null;
  /** HTTP status of the successful upload. */
  httpStatus: number | null;
  /** Kept for a failed record so operators know the file is still there. */
  fileKept: boolean;
  /** Encryption at rest: the key id the spool file is sealed with; null or absent: plain. */
  keyId?: string | null;
}
