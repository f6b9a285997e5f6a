/**
 * The Crossbar-compatible REST API.
 *
 * Start it with startApiServer({ store, config: config.api, logger }) (or buildApiServer for
 * app.inject in tests). Other parts add endpoints without touching this folder by passing route
 * modules in `routes`: an ApiRouteModule is (app, ctx) => void; inside, call
 * accessAccount(ctx, request, accountId) first (tenancy, 403/404), answer with sendSuccess(...),
 * throw the ApiError classes for errors (the envelope is written for you), and for a plain
 * document collection describe it with a CollectionSpec and call registerCollectionRoutes.
 * Routes are authenticated by X-Auth-Token unless declared with `config: { public: true }`.
 */
export { buildApiServer, startApiServer, CORE_ROUTES } from './server';
export type { ApiRouteModule, ApiServer, ApiServerOptions } from './server';
export type { ApiContext, AuthInfo } from './context';
export { accessAccount, readOwned, requestData, publicView, expectedRevision, mapStoreError } from './context';
export { registerCollectionRoutes, validateDocument, pick } from './routes/collection';
export type { CollectionSpec } from './routes/collection';
export { sendSuccess, errorEnvelope } from './envelope';
export type { SuccessEnvelope, ErrorEnvelope } from './envelope';
export * from './errors';
export { compileValidator, toFieldErrors, type FieldErrors, type Validator } from './validation';
export { MemoryTokenStore, tokenDigest, newToken, type TokenStore, type TokenGrant } from './tokens';
export { FailureLimiter, type AuthFailureLimiter } from './limiter';
export { SqliteTokenStore } from './sqlite-tokens';
