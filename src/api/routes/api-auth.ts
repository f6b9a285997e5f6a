import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isAccountEnabled, newApiKey, type AccountDoc } from '../../store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonObject } from '../../store';
import { AccountDisabledError, ForbiddenError, InvalidCredentialsError, TooManyRequestsError, ValidationError } from '../errors';
import { sendSuccess } from '../envelope';
import { clone, requestData, type ApiContext } from '../context';
import { verifyPassword } from '../passwords';
import { ApiAuthSchema, UserAuthSchema } from '../schemas';
import { compileValidator } from '../validation';

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * PUT /v2/api_auth {"data":{"api_key":...}} -> an auth token for the key's account. The
 * configured bootstrap key stands for the master account, which its first use creates: that is
 * how a fresh installation gets its first account without a database seed.
 */
export function registerApiAuthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const validate = compileValidator(ctx.ajv, ApiAuthSchema);
  let masterCreation: Promise<AccountDoc> | undefined;
  const limiter = ctx.authLimiter;

  const master = async (): Promise<AccountDoc> => {
    const existing = await ctx.store.findBy('accounts', 'pvt_superduper_admin', true);
    if (existing.length > 0) return existing[0] as AccountDoc;
    // One creation at a time: two concurrent first logins must not make two masters.
    masterCreation ??= ctx.store
      .createAccount(null, {
        name: 'master',
        realm: `${randomBytes(4).toString('hex')}.${ctx.config.realmSuffix}`,
        pvt_superduper_admin: true,
        pvt_api_key: newApiKey(),
      })
      .finally(() => {
        masterCreation = undefined;
      });
    return masterCreation;
  };

  app.put('/v2/api_auth', { config: { public: true } }, async (request, reply) => {
    if (await limiter.blocked(request.ip)) throw new TooManyRequestsError();
    const data = clone(requestData(request));
    const errors = validate(data);
    if (errors !== null) throw new ValidationError(errors);
    const key = data['api_key'] as string;
    let account = await ctx.store.findAccountByApiKey(key);
    if (account === undefined && ctx.config.bootstrapApiKey !== '' && sameSecret(key, ctx.config.bootstrapApiKey)) {
      account = await master();
    }
    if (account === undefined) {
      await limiter.fail(request.ip);
      request.log.warn({ ip: request.ip }, 'api_auth refused');
      throw new InvalidCredentialsError();
    }
    return grantToken(ctx, request, reply, account, {});
  });
}

/**
 * The end of every login: a right secret of a suspended account (itself or an ancestor disabled)
 * is not a guess, so it does not count towards the failure limit; it gets the same 403 as its
 * existing tokens. Otherwise the failures of this address are forgiven and a token is issued.
 */
async function grantToken(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, account: AccountDoc, extra: JsonObject): Promise<FastifyReply> {
  if (!(await isAccountEnabled(ctx.store, account))) {
    request.log.warn({ ip: request.ip, account_id: account._id }, 'login refused: account disabled');
    throw new AccountDisabledError();
  }
  await ctx.authLimiter.succeed(request.ip);
  const { token, grant } = await ctx.tokens.issue(account._id);
  request.log.info({ account_id: account._id, ...extra }, 'login granted');
  const reseller = account.pvt_tree[0] ?? account._id;
  return sendSuccess(
    request,
    reply,
    {
      account_id: account._id,
      account_name: account['name'] ?? null,
      is_reseller: account['pvt_superduper_admin'] === true,
      reseller_id: reseller,
      expires_at: Math.floor(grant.expiresAt / 1000),
      ...extra,
    },
    { status: 201, authToken: token },
  );
}

/**
 * PUT /v2/user_auth {"data":{"username","password","account_realm"|"account_name"}} -> a token
 * for the user's account, as Kazoo's user_auth, but with the password itself over TLS rather than
 * an MD5 of "username:password" (which would force the database to keep MD5s). Only users with
 * `priv_level: "admin"` get a token: a token is account-wide, and a `user` must not be able to
 * change the account's policy. Every refusal of a name or password is the same 401, counted by
 * the same per-address limiter as api_auth.
 */
export function registerUserAuthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const validate = compileValidator(ctx.ajv, UserAuthSchema);
  app.put('/v2/user_auth', { config: { public: true } }, async (request, reply) => {
    if (await ctx.authLimiter.blocked(request.ip)) throw new TooManyRequestsError();
    const data = clone(requestData(request));
    const errors = validate(data) ?? {};
    if (data['account_realm'] === undefined && data['account_name'] === undefined) {
      errors['account_name'] = { required: { message: 'Field is required but missing: account_name or account_realm' } };
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    const realm = data['account_realm'];
    // Names are not unique across the tree: a name that means two accounts means none.
    const named = typeof realm === 'string' ? [] : await ctx.store.findBy('accounts', 'name', String(data['account_name']));
    const account = typeof realm === 'string' ? await ctx.store.findAccountByRealm(realm) : named.length === 1 ? (named[0] as AccountDoc) : undefined;
    const users = account ? await ctx.store.findBy('users', 'username', String(data['username']), account._id) : [];
    const user = users.length === 1 ? users[0] : undefined;
    // Always one scrypt, whether or not the user exists: the answer time says nothing.
    const ok = await verifyPassword(String(data['password']), user?.['pvt_password_hash']);
    if (!ok || account === undefined || user === undefined || user['enabled'] === false) {
      await ctx.authLimiter.fail(request.ip);
      request.log.warn({ ip: request.ip }, 'user_auth refused');
      throw new InvalidCredentialsError();
    }
    if (user['priv_level'] !== 'admin') {
      request.log.warn({ ip: request.ip, account_id: account._id, owner_id: user._id }, 'user_auth refused: not an admin');
      throw new ForbiddenError();
    }
    return grantToken(ctx, request, reply, account, { owner_id: user._id });
  });
}
