import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify';
import { mergePatch, newApiKey, publicFields, type AccountDoc, type JsonObject } from '../../store';
import { ForbiddenError, InvalidCredentialsError, RefusedError } from '../errors';
import { sendSuccess } from '../envelope';
import { accessAccount, clone, expectedRevision, mapStoreError, publicView, requestData, type ApiContext } from '../context';
import { AccountDocSchema } from '../schemas';
import { compileValidator, type FieldErrors } from '../validation';
import { validateDocument } from './collection';
import { takeS3Secret } from '../../storage/account-storage';

interface AccountParams {
  accountId: string;
}

function childSummary(a: AccountDoc): JsonObject {
  const pub = publicFields(a);
  const out: JsonObject = { id: a._id, name: pub['name'] ?? null };
  if (pub['realm'] !== undefined) out['realm'] = pub['realm'];
  return out;
}

/**
 * /v2/accounts: Kazoo creates a child with PUT on the parent (PUT /v2/accounts/{ID}, or PUT
 * /v2/accounts for a child of the caller's own account). Each account gets its own API key.
 */
export function registerAccountRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const spec = {
    validate: compileValidator(ctx.ajv, AccountDocSchema),
    /** Realms identify the account of a REGISTER, so one realm belongs to one account. */
    async check(_ctx: ApiContext, _account: AccountDoc, doc: JsonObject, selfId?: string): Promise<FieldErrors> {
      const realm = doc['realm'];
      if (typeof realm !== 'string') return {};
      const owner = await ctx.store.findAccountByRealm(realm);
      return owner !== undefined && owner._id !== selfId
        ? { realm: { unique: { message: 'Account realm already in use', cause: realm } } }
        : {};
    },
  };

  const create = async (request: FastifyRequest, reply: FastifyReply, parentId: string): Promise<FastifyReply> => {
    const parent = await accessAccount(ctx, request, parentId);
    const doc = clone(requestData(request));
    if (doc['realm'] === undefined) doc['realm'] = `${randomBytes(4).toString('hex')}.${ctx.config.realmSuffix}`;
    await validateDocument(ctx, spec, parent, doc);
    // The S3 secret is write-only: kept in a private field, never in a response.
    const secret = takeS3Secret(doc);
    let created: AccountDoc;
    try {
      created = await ctx.store.createAccount(parent._id, { ...doc, ...secret, pvt_api_key: newApiKey() });
    } catch (err) {
      // A concurrent creation took the realm between the check and the write.
      throw mapStoreError(err, parent._id);
    }
    request.log.info({ account_id: created._id, parent_id: parent._id }, 'account created');
    return sendSuccess(request, reply, publicView(created), { status: 201, revision: created._rev });
  };

  app.put('/v2/accounts', async (request, reply) => {
    if (request.auth === null) throw new InvalidCredentialsError();
    return create(request, reply, request.auth.accountId);
  });

  app.put<{ Params: AccountParams }>('/v2/accounts/:accountId', async (request, reply) =>
    create(request, reply, request.params.accountId),
  );

  app.get<{ Params: AccountParams }>('/v2/accounts/:accountId', async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    return sendSuccess(request, reply, publicView(account), { revision: account._rev });
  });

  /**
   * Only an ancestor may enable or disable an account. A disabled account's own tokens are
   * already refused (context.authenticate), so it cannot re-enable itself; refusing the change
   * from the account itself also keeps an account (the master above all, which has no ancestor
   * to undo it) from locking itself out.
   */
  const ownEnabledCheck = (request: FastifyRequest, account: AccountDoc) =>
    async (c: ApiContext, a: AccountDoc, doc: JsonObject, selfId?: string): Promise<FieldErrors> => {
      const errors = await spec.check(c, a, doc, selfId);
      if (request.auth?.accountId === account._id && (doc['enabled'] !== false) !== (account['enabled'] !== false)) {
        errors['enabled'] = { forbidden: { message: 'Only an ancestor account can enable or disable this account' } };
      }
      return errors;
    };

  const write = async (request: FastifyRequest<{ Params: AccountParams }>, reply: FastifyReply, merge: boolean): Promise<FastifyReply> => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const input = clone(requestData(request));
    const doc = merge ? mergePatch(publicFields(account), input) : input;
    await validateDocument(ctx, { validate: spec.validate, check: ownEnabledCheck(request, account) }, account, doc, account._id);
    const secret = takeS3Secret(doc);
    try {
      const saved = await ctx.store.replace('accounts', account._id, { ...doc, ...secret }, { rev: expectedRevision(request) ?? account._rev });
      if ((saved['enabled'] !== false) !== (account['enabled'] !== false)) {
        request.log.info({ account_id: account._id, enabled: saved['enabled'] !== false }, saved['enabled'] === false ? 'account disabled' : 'account enabled');
      }
      return sendSuccess(request, reply, publicView(saved), { revision: saved._rev });
    } catch (err) {
      throw mapStoreError(err, account._id);
    }
  };
  app.post<{ Params: AccountParams }>('/v2/accounts/:accountId', async (request, reply) => write(request, reply, false));
  app.patch<{ Params: AccountParams }>('/v2/accounts/:accountId', async (request, reply) => write(request, reply, true));

  app.delete<{ Params: AccountParams }>('/v2/accounts/:accountId', async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    // An account cannot remove itself: the token would outlive the account that issued it.
    if (request.auth?.accountId === account._id) throw new ForbiddenError();
    if ((await ctx.store.listChildren(account._id)).length > 0) {
      throw new RefusedError('account_has_descendants', 'account has descendants');
    }
    try {
      const deleted = await ctx.store.deleteAccount(account._id, { rev: expectedRevision(request) ?? account._rev });
      request.log.info({ account_id: account._id }, 'account deleted');
      return sendSuccess(request, reply, publicView(deleted), { revision: deleted._rev });
    } catch (err) {
      throw mapStoreError(err, account._id);
    }
  });

  app.get<{ Params: AccountParams }>('/v2/accounts/:accountId/children', async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    return sendSuccess(request, reply, (await ctx.store.listChildren(account._id)).map(childSummary));
  });

  app.get<{ Params: AccountParams }>('/v2/accounts/:accountId/descendants', async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    return sendSuccess(request, reply, (await ctx.store.listDescendants(account._id)).map(childSummary));
  });

  app.get<{ Params: AccountParams }>('/v2/accounts/:accountId/api_key', async (request, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    return sendSuccess(request, reply, { api_key: account.pvt_api_key ?? null });
  });
}
