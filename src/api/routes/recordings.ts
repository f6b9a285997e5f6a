import { createReadStream, statSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessAccount, publicView, readOwned } from '../context';
import { sendSuccess } from '../envelope';
import { BadIdentifierError } from '../errors';
import type { ApiRouteModule } from '../server';

/**
 * Kazoo's recordings API (read-only): `GET /v2/accounts/{id}/recordings` lists the account's
 * recording records (status pending / uploading / uploaded / failed / discarded);
 * `GET .../recordings/{recording_id}` is the record, or the audio itself when asked with
 * `Accept: audio/mpeg` / `audio/wav` (`audio/x-wav`) or with the `/file` suffix, while the
 * service still keeps the file (a failed upload's file is always kept).
 */

export interface RecordingFiles {
  /** Path of the kept file, null when it is gone (uploaded and not kept, or discarded). */
  filePathOf(id: string): string | null;
}

const MIME: Record<string, string> = { mp3: 'audio/mpeg', wav: 'audio/x-wav' };

/** Pure: whether the Accept header asks for the audio rather than the JSON record. */
export function wantsAudio(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => /^\s*audio\/(mpeg|mp3|wav|x-wav|\*)\s*(;|$)/i.test(part));
}

export function recordingsRoute(files: RecordingFiles): ApiRouteModule {
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

    app.get<{ Params: { accountId: string; recordingId: string } }>('/v2/accounts/:accountId/recordings/:recordingId/file', async (request, reply) => {
      const { doc } = await one(request, true);
      return sendFile(doc._id, typeof doc.media_type === 'string' ? doc.media_type : 'mp3', reply);
    });

    function sendFile(id: string, format: string, reply: FastifyReply): FastifyReply {
      const path = files.filePathOf(id);
      let size: number;
      try {
        if (path === null) throw new Error('gone');
        size = statSync(path).size;
      } catch {
        throw new BadIdentifierError(`${id}/file`);
      }
      const name = `${id}.${format}`;
      return reply
        .header('content-type', MIME[format] ?? 'application/octet-stream')
        .header('content-length', String(size))
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(createReadStream(path));
    }
  };
}
