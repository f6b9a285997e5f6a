import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mergePatch, publicFields, type AccountDoc, type Collection, type JsonObject, type StoredDoc } from '../../store';
import { ValidationError } from '../errors';
import { sendSuccess } from '../envelope';
import {
  accessAccount,
  clone,
  expectedRevision,
  mapStoreError,
  publicView,
  readOwned,
  requestData,
  type ApiContext,
} from '../context';
import { mergeErrors, type FieldErrors, type Validator } from '../validation';

/**
 * Describes one account-scoped Crossbar collection (/v2/accounts/{ACCOUNT_ID}/<collection>).
 * registerCollectionRoutes turns it into the six Crossbar verbs; a new collection (recordings,
 * registrations...) only writes a spec, or its own routes using the helpers of ../context.
 */
export interface CollectionSpec {
  collection: Collection;
  /** Schema validation; writes schema defaults into the document. */
  validate: Validator;
  /**
   * Checks that need the store (uniqueness within the account, references to other documents).
   * `selfId` is the document being replaced, absent on create. Returns field errors (may be {}).
   */
  check?: (ctx: ApiContext, account: AccountDoc, doc: JsonObject, selfId?: string) => Promise<FieldErrors>;
  /** The fields shown in the collection listing (Crossbar lists summaries, not documents). */
  summary: (doc: StoredDoc) => JsonObject;
  /**
   * Turns write-only fields of a valid document into what is stored (a password into its
   * pvt_ hash). A replace without the field keeps the stored pvt_ value (store/write.ts).
   */
  seal?: (doc: JsonObject) => Promise<JsonObject>;
}

interface AccountParams {
  accountId: string;
}
interface DocParams extends AccountParams {
  docId: string;
}

/** Validation first, store checks second; any error -> 400 and nothing is written. */
export async function validateDocument(ctx: ApiContext, spec: Pick<CollectionSpec, 'validate' | 'check' | 'seal'>, account: AccountDoc, doc: JsonObject, selfId?: string): Promise<JsonObject> {
  const errors: FieldErrors = spec.validate(doc) ?? {};
  if (spec.check !== undefined) mergeErrors(errors, await spec.check(ctx, account, doc, selfId));
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return spec.seal ? spec.seal(doc) : doc;
}

/**
 * Writes `next` over `current` unless someone else wrote in between: the client's If-Match when
 * given, else the revision this request read.
 */
async function writeReplace(ctx: ApiContext, request: FastifyRequest, collection: Collection, current: StoredDoc, next: JsonObject): Promise<StoredDoc> {
  try {
    return await ctx.store.replace(collection, current._id, next, { rev: expectedRevision(request) ?? current._rev });
  } catch (err) {
    throw mapStoreError(err, current._id);
  }
}

export function registerCollectionRoutes(app: FastifyInstance, ctx: ApiContext, spec: CollectionSpec): void {
  const base = `/v2/accounts/:accountId/${spec.collection}`;
  const { collection } = spec;

  app.get<{ Params: AccountParams }>(base, async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const docs = await ctx.store.list(collection, account._id);
    return sendSuccess(request, reply, docs.map(spec.summary));
  });

  app.put<{ Params: AccountParams }>(base, async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const doc = await validateDocument(ctx, spec, account, clone(requestData(request)));
    let created: StoredDoc;
    try {
      created = await ctx.store.create(collection, account._id, doc);
    } catch (err) {
      throw mapStoreError(err, account._id);
    }
    request.log.info({ collection, id: created._id, account_id: account._id }, 'document created');
    return sendSuccess(request, reply, publicView(created), { status: 201, revision: created._rev });
  });

  app.get<{ Params: DocParams }>(`${base}/:docId`, async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const doc = await readOwned(ctx, collection, account, request.params.docId);
    return sendSuccess(request, reply, publicView(doc), { revision: doc._rev });
  });

  app.post<{ Params: DocParams }>(`${base}/:docId`, async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const current = await readOwned(ctx, collection, account, request.params.docId);
    const doc = await validateDocument(ctx, spec, account, clone(requestData(request)), current._id);
    const saved = await writeReplace(ctx, request, collection, current, doc);
    return sendSuccess(request, reply, publicView(saved), { revision: saved._rev });
  });

  app.patch<{ Params: DocParams }>(`${base}/:docId`, async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const current = await readOwned(ctx, collection, account, request.params.docId);
    // PATCH merges into the stored document, and the merged result must be valid as a whole.
    const merged = await validateDocument(ctx, spec, account, mergePatch(publicFields(current), clone(requestData(request))), current._id);
    const saved = await writeReplace(ctx, request, collection, current, merged);
    return sendSuccess(request, reply, publicView(saved), { revision: saved._rev });
  });

  app.delete<{ Params: DocParams }>(`${base}/:docId`, async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const current = await readOwned(ctx, collection, account, request.params.docId);
    let deleted: StoredDoc;
    try {
      deleted = await ctx.store.delete(collection, current._id, { rev: expectedRevision(request) ?? current._rev });
    } catch (err) {
      throw mapStoreError(err, current._id);
    }
    request.log.info({ collection, id: deleted._id, account_id: account._id }, 'document deleted');
    return sendSuccess(request, reply, publicView(deleted), { revision: deleted._rev });
  });
}

/** Picks the listed keys that are present (summaries leave absent fields out). */
export function pick(doc: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) {
    const v = doc[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
