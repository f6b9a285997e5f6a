import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonObject } from '../../store';
import { accessAccount, publicView, readOwned } from '../context';
import { sendSuccess } from '../envelope';
import { BadIdentifierError, StateConflictError, ValidationError } from '../errors';
import type { ApiRouteModule } from '../server';
import { requestAction } from './channels';

/**
 * Kazoo's recordings API: `GET /v2/accounts/{id}/recordings` lists the account's recording
 * records (status pending / uploading / uploaded / failed / discarded);
 * `GET .../recordings/{recording_id}` is the record, or the audio itself when asked with
 * `Accept: audio/mpeg` / `audio/wav` (`audio/x-wav`) or with the `/file` suffix, while the
 * service still keeps the file (a failed upload's file is always kept).
 * `POST .../recordings/{recording_id}` `{"data":{"action":"retry"}}` puts a failed recording back
 * in the delivery queue (not in Kazoo, which has no upload queue; shaped like its channel
 * actions: POST on the resource with an `action`).
 */

/** What retrying found: the record's fields after the requeue, or why nothing was done. */
export type RetryOutcome =
  | { outcome: 'retried'; record: JsonObject }
  | { outcome: 'not_failed'; status: string }
  | { outcome: 'unknown' };

/** The delivery queue as the route sees it (the service builds it; see src/service/api-routes.ts). */
export interface RecordingsPort {
  /** The kept file's plaintext (authenticated and decrypted when encrypted at rest), null when it is gone (uploaded and not kept, discarded, quarantined). */
  openFile(id: string): Promise<{ size: number; open(): Readable } | null>;
  /** Deletes the recording's file (spool and kept file) and its records (queue and store). */
  remove(id: string): Promise<{ file: boolean; record: boolean }>;
  /** Puts a failed recording back in the queue with a fresh retry horizon. */
  retry(id: string): Promise<RetryOutcome>;
}

const MIME: Record<string, string> = { mp3: 'audio/mpeg', wav: 'audio/x-wav' };

/** Pure: whether the Accept header asks for the audio rather than the JSON record. */
export function wantsAudio(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => /^\s*audio\/(mpeg|mp3|wav|x-wav|\*)\s*(;|$)/i.test(part));
}

export function recordingsRoute(files: RecordingsPort): ApiRouteModule {
  return (app, ctx) => {
    app.get<{ Params: { accountId: string } }>('/v2/accounts/:accountId/recordings', async (request, reply) => {
      const account = await accessAccount(ctx, request, request.params.accountId);
      const docs = await ctx.store.list('recordings', account._id);
      const list = docs.map((d) => {
        const v = publicView(d);
        return {
          id: v.id, call_id: v.call_id ?? null, origin: v.origin ?? null, label: v.label ?? null, direction: v.direction ?? null,
          from: v.from ?? null, to: v.to ?? null, start: v.start ?? null, duration_ms: v.duration_ms ?? null,
          media_type: v.media_type ?? null, size: v.size ?? null, status: v.status ?? null, attempts: v.attempts ?? 0,
          last_error: v.last_error ?? null, media_status: v.media_status ?? null, media_error: v.media_error ?? null,
          paused_intervals: v.paused_intervals ?? [],
          parties: v.parties ?? [],
        };
      });
      return sendSuccess(request, reply, list);
    });

    const one = async (request: FastifyRequest<{ Params: { accountId: string; recordingId: string } }>, asFile: boolean) => {
      const account = await accessAccount(ctx, request, request.params.accountId);
      const doc = await readOwned(ctx, 'recordings', account, request.params.recordingId);
      return { doc, asFile: asFile || wantsAudio(request.headers.accept) };
    };

    app.get<{ Params: { accountId: string; recordingId: string } }>('/v2/accounts/:accountId/recordings/:recordingId', async (request, reply) => {
      const { doc, asFile } = await one(request, false);
      if (!asFile) return sendSuccess(request, reply, publicView(doc), { revision: doc._rev });
      return sendFile(doc._id, typeof doc.media_type === 'string' ? doc.media_type : 'mp3', reply);
    });

    app.post<{ Params: { accountId: string; recordingId: string } }>('/v2/accounts/:accountId/recordings/:recordingId', async (request, reply) => {
      const { doc } = await one(request, false);
      checkRetryAction(request.body);
      const r = await files.retry(doc._id);
      if (r.outcome === 'unknown') throw new BadIdentifierError(doc._id);
      if (r.outcome === 'not_failed') throw new StateConflictError('only a failed recording can be retried', r.status);
      request.log.info({ recordingId: doc._id }, 'recording requeued for delivery');
      return sendSuccess(request, reply, { ...publicView(doc), ...r.record, id: doc._id }, { status: 202 });
    });

    /**
     * GDPR erasure: the file and the record go for good (not a soft delete), audited in the log:
     * who (the token's account and a token id that is not the token), what and when.
     */
    app.delete<{ Params: { accountId: string; recordingId: string } }>('/v2/accounts/:accountId/recordings/:recordingId', async (request, reply) => {
      const { doc } = await one(request, false);
      const removed = await files.remove(doc._id);
      request.log.info({
        audit: 'recording.deleted', account_id: doc.pvt_account_id, recording_id: doc._id, call_id: doc.call_id ?? null,
        by_account_id: request.auth?.accountId ?? null, by_token_id: request.auth ? tokenId(request.auth.token) : null,
        file_deleted: removed.file, at: new Date().toISOString(),
      }, 'recording deleted');
      return sendSuccess(request, reply, { id: doc._id, deleted: true, file_deleted: removed.file });
    });

    app.get<{ Params: { accountId: string; recordingId: string } }>('/v2/accounts/:accountId/recordings/:recordingId/file', async (request, reply) => {
      const { doc } = await one(request, true);
      return sendFile(doc._id, typeof doc.media_type === 'string' ? doc.media_type : 'mp3', reply);
    });

    async function sendFile(id: string, format: string, reply: FastifyReply): Promise<FastifyReply> {
      const file = await files.openFile(id);
      if (file === null) throw new BadIdentifierError(`${id}/file`);
      const name = `${id}.${format}`;
      return reply
        .header('content-type', MIME[format] ?? 'application/octet-stream')
        .header('content-length', String(file.size))
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(file.open());
    }
  };
}

/** A stable, non-secret name for a token in audit lines: the first 12 hex digits of its SHA-256. */
function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

/** `action` from the envelope or from `data` (as Crossbar reads it); only `retry` exists. */
function checkRetryAction(body: unknown): void {
  const action = requestAction(body);
  if (action === undefined) throw new ValidationError({ action: { required: { message: 'Field is required but missing' } } });
  if (action !== 'retry') {
    throw new ValidationError({ action: { enum: { message: 'Value not found in enumerated list of values', target: ['retry'], ...(typeof action === 'string' ? { cause: action } : {}) } } });
  }
}
