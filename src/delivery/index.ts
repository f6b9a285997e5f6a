/**
 * Delivery part: durable queue and HTTP upload of finished recordings.
 *
 *   const q = new DeliveryQueue(config.delivery, { logger });
 *   await q.start();                      // replays the spool
 *   await q.enqueue({ filePath, meta });  // durable before it resolves
 *   q.list({ accountId }); q.get(id);     // for GET /v2/accounts/{id}/recordings
 *   q.on('success' | 'failure' | 'attempt' | 'depth' | 'discarded', ...)  // metrics
 */
export { DeliveryQueue } from './queue';
export type { DeliveryQueueEvents, DeliveryQueueDeps, QueueDepth, ReadonlyDeliveryConfig } from './queue';
export { DeliveryStatus, DeliveryEvent, nextStatus } from './status';
export type { DeliveryJob, DeliveryRecord, RecordingMeta, RecordingParty, RecordingMediaInfo, RecordingFormat, UploadMethod, DeliveryErrorInfo } from './types';
export { buildUploadUrl, contentTypeFor, recordingName, redactUrl, uriEncode, GREGORIAN_UNIX_OFFSET } from './url';
export type { UrlFields } from './url';
export { NetworkPolicy, BUILTIN_DENY, parseCidr, parseIp, CidrSyntaxError } from './netpolicy';
export { backoffDelay, nextAttemptAt } from './backoff';
export * from './errors';
export { partiesDoc, type PartyDoc } from './parties';
