import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config/sections/api';
import {
  ConflictError,
  NotFoundError,
  isAccountEnabled,
  isJsonObject,
  publicFields,
  type AccountDoc,
  type DocumentStore,
  type JsonObject,
  type StoredDoc,
} from '../store';
import { AccountDisabledError, BadIdentifierError, ConflictApiError, ForbiddenError, InvalidCredentialsError, ValidationError } from './errors';
import type { TokenStore } from './tokens';
import type { AuthFailureLimiter } from './limiter';
import type Ajv from 'ajv';

/** What every route module receives: the store, the token table, configuration and a clock. */
export interface ApiContext {
  readonly store: DocumentStore;
  readonly tokens: TokenStore;
  /** Failed PUT /v2/api_auth attempts per client address. */
  readonly authLimiter: AuthFailureLimiter;
  readonly config: Readonly<ApiConfig>;
  readonly ajv: Ajv;
  /** Milliseconds since the epoch (injectable for tests of expiry). */
  readonly now: () => number;
}

/** The authenticated caller, set by the auth hook on every non-public route. */
export interface AuthInfo {
  accountId: string;
  token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthInfo | null;
  }
  interface FastifyContextConfig {
    /** Routes marked public skip X-Auth-Token (PUT /v2/api_auth, /metrics, the web page's files). */
    public?: boolean;
    /**
     * Routes that also take the token as `?auth_token=` (as Crossbar does): a browser's
     * EventSource cannot set headers, so the server-sent events route needs it.
     */
    queryToken?: boolean;
  }
}

/**
 * Checks X-Auth-Token on every request: the token's account must still exist, and it and its
 * ancestors must be enabled. The enabled check runs here, per request, rather than when tokens
 * are issued, so disabling an account suspends the tokens it already holds at once; the token
 * itself is kept, and works again as soon as an ancestor re-enables the account.
 */
export async function authenticate(ctx: ApiContext, request: FastifyRequest): Promise<AuthInfo> {
  const header = request.headers['x-auth-token'];
  const query = request.routeOptions.config?.queryToken === true ? (request.query as Record<string, unknown> | undefined)?.['auth_token'] : undefined;
  const token = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
  if (token === undefined || token.length === 0) throw new InvalidCredentialsError();
  const grant = await ctx.tokens.check(token);
  if (grant === undefined) throw new InvalidCredentialsError();
  let account: AccountDoc;
  try {
    account = await ctx.store.readAccount(grant.accountId);
  } catch (err) {
    if (err instanceof NotFoundError) {
      await ctx.tokens.revoke(token);
      throw new InvalidCredentialsError();
    }
    throw err;
  }
  if (!(await isAccountEnabled(ctx.store, account))) throw new AccountDisabledError();
  return { accountId: grant.accountId, token };
}

function authOf(request: FastifyRequest): AuthInfo {
  if (request.auth === null) throw new InvalidCredentialsError();
  return request.auth;
}

/**
 * Tenancy: the caller reaches its own account and the accounts below it, nothing else. An
 * account out of reach is refused with 403 whether or not it exists, so ids cannot be probed;
 * a reachable but deleted account is a 404.
 */
export async function accessAccount(ctx: ApiContext, request: FastifyRequest, accountId: string): Promise<AccountDoc> {
  const auth = authOf(request);
  if (!(await ctx.store.isSameOrDescendant(auth.accountId, accountId))) throw new ForbiddenError();
  try {
    return await ctx.store.readAccount(accountId);
  } catch (err) {
    throw mapStoreError(err, accountId);
  }
}

/** Reads a document of `account`; one owned by any other account is reported as absent. */
export async function readOwned(ctx: ApiContext, collection: Parameters<DocumentStore['read']>[0], account: AccountDoc, id: string): Promise<StoredDoc> {
  let doc: StoredDoc;
  try {
    doc = await ctx.store.read(collection, id);
  } catch (err) {
    throw mapStoreError(err, id);
  }
  if (doc.pvt_account_id !== account._id) throw new BadIdentifierError(id);
  return doc;
}

export function mapStoreError(err: unknown, id: string): unknown {
  if (err instanceof NotFoundError) return new BadIdentifierError(id);
  if (err instanceof ConflictError) return new ConflictApiError();
  return err;
}

/**
 * The request's `data` object without the keys clients may not set (`id`, `_*`, `pvt_*`): Kazoo
 * keeps private fields server-side whatever a client sends. A missing body counts as `{}`.
 */
export function requestData(request: FastifyRequest): JsonObject {
  const body: unknown = request.body;
  if (body === undefined || body === null) return {};
  if (!isJsonObject(body)) throw new ValidationError({ '': { type: { message: 'Value did not match type(s): object', target: 'object' } } });
  const data = body['data'];
  if (data === undefined) return {};
  if (!isJsonObject(data)) throw new ValidationError({ data: { type: { message: 'Value did not match type(s): object', target: 'object' } } });
  const clean = publicFields(data);
  delete clean['id'];
  return clean;
}

/** The revision the client expects (If-Match, as an ETag may be quoted or weak). */
export function expectedRevision(request: FastifyRequest): string | undefined {
  const h = request.headers['if-match'];
  if (typeof h !== 'string' || h.trim() === '' || h.trim() === '*') return undefined;
  return h.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** The public view of a stored document: public fields plus `id` (Crossbar's shape). */
export function publicView(doc: StoredDoc): JsonObject {
  return { ...publicFields(doc), id: doc._id };
}

/** A deep copy, so validation defaults and merges never touch a stored object. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}
