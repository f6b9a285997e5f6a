import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isAccountEnabled, newApiKey, type AccountDoc } from '../../store';
import { AccountDisabledError, InvalidCredentialsError, TooManyRequestsError, ValidationError } from '../errors';
import { sendSuccess } from '../envelope';
import { clone, requestData, type ApiContext } from '../context';
import { ApiAuthSchema } from '../schemas';
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
    // A right key of a suspended account (itself or an ancestor disabled) is not a guess, so it
    // does not count towards the failure limit; it gets the same 403 as its existing tokens.
    if (!(await isAccountEnabled(ctx.store, account))) {
      request.log.warn({ ip: request.ip, account_id: account._id }, 'api_auth refused: account disabled');
      throw new AccountDisabledError();
    }
    await limiter.succeed(request.ip);
    const { token, grant } = await ctx.tokens.issue(account._id);
    request.log.info({ account_id: account._id }, 'api_auth granted');
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
      },
      { status: 201, authToken: token },
    );
  });
}
