import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import type { ApiConfig } from '../config/sections/api';
import { StoreUnavailableError, type DocumentStore } from '../store';
import { authenticate, type ApiContext } from './context';
import { errorEnvelope } from './envelope';
import { parseBody } from './body';
import { ApiError, DatastoreUnreachableError, InternalError, ParseError, PayloadTooLargeError, RouteNotFoundError, ServiceUnavailableError } from './errors';
import { MemoryTokenStore, type TokenStore } from './tokens';
import { StateUnavailableError } from '../state/errors';
import { FailureLimiter, type AuthFailureLimiter } from './limiter';
import { createAjv } from './validation';
import { registerApiAuthRoutes, registerUserAuthRoutes } from './routes/api-auth';
import { registerAccountRoutes } from './routes/accounts';
import { registerUserRoutes } from './routes/users';
import { registerDeviceRoutes } from './routes/devices';
import { registerCallflowRoutes } from './routes/callflows';
import { registerResourceRoutes } from './routes/resources';

/**
 * A route module: registers its routes on the app with the shared context. Other parts add
 * endpoints (registrations, recordings) by passing their modules in ApiServerOptions.routes.
 */
export type ApiRouteModule = (app: FastifyInstance, ctx: ApiContext) => void;

export const CORE_ROUTES: readonly ApiRouteModule[] = [
  registerApiAuthRoutes,
  registerUserAuthRoutes,
  registerAccountRoutes,
  registerUserRoutes,
  registerDeviceRoutes,
  registerCallflowRoutes,
  registerResourceRoutes,
];

export interface ApiServerOptions {
  store: DocumentStore;
  config: Readonly<ApiConfig>;
  logger?: Logger;
  /** Milliseconds since the epoch; tests inject one to expire tokens without waiting. */
  now?: () => number;
  /** Where tokens live; the service passes a SqliteTokenStore, units default to memory. */
  tokens?: TokenStore;
  /** Failed api_auth attempts per client address; defaults to one node's FailureLimiter from config. */
  authLimiter?: AuthFailureLimiter;
  /** Extra route modules, registered after the core ones. */
  routes?: readonly ApiRouteModule[];
}

export interface ApiServer {
  app: FastifyInstance;
  ctx: ApiContext;
}

/** Pure: a URL with the value of any `auth_token` query parameter replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]auth_token=)[^&#]*/gi, '$1[redacted]');
}

/** Fastify's request log fields, with the token-bearing query redacted. */
function requestForLog(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip };
}

/** Builds the Crossbar-compatible API (not listening yet: call listen, or use app.inject). */
export function buildApiServer(opts: ApiServerOptions): ApiServer {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const now = opts.now ?? Date.now;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: opts.config.bodyLimit,
    // Kazoo echoes a client's X-Request-ID, else makes one; pino's per-request child carries it.
    // A client's id is only taken when it is short and plain, so logs cannot be stuffed through it.
    requestIdHeader: false,
    // The server-sent events route takes `?auth_token=`: the request line is logged without it.
    childLoggerFactory: (logger, bindings, opts) => logger.child(bindings, { ...opts, serializers: { ...opts.serializers, req: requestForLog } }),
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && /^[\w.-]{1,64}$/.test(h) ? h : randomBytes(16).toString('hex');
    },
  }) as unknown as FastifyInstance;
  const ctx: ApiContext = {
    store: opts.store,
    tokens: opts.tokens ?? new MemoryTokenStore(opts.config.tokenTtlSec * 1000, now),
    authLimiter: opts.authLimiter ?? new FailureLimiter(opts.config.authFailureLimit, opts.config.authFailureWindowSec * 1000, now),
    config: opts.config,
    ajv: createAjv(),
    now,
  };

  // Crossbar reads every body as JSON whatever its Content-Type (curl -d sends form encoding).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    try {
      done(null, parseBody(text, opts.config.maxBodyDepth));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (request.routeOptions.config?.public === true) return;
    request.auth = await authenticate(ctx, request);
  });

  app.setErrorHandler((err, request, reply) => {
    let apiErr: ApiError;
    if (err instanceof ApiError) apiErr = err;
    else if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') apiErr = new PayloadTooLargeError();
    else if ((err as { code?: string }).code?.startsWith('FST_ERR_CTP') === true) apiErr = new ParseError();
    else if (err instanceof StoreUnavailableError) {
      request.log.warn({ err }, 'store unavailable');
      apiErr = new DatastoreUnreachableError();
    } else if (err instanceof StateUnavailableError) {
      request.log.debug({ reason: err.message }, 'request failed: state unavailable');
      apiErr = new ServiceUnavailableError();
    } else {
      request.log.error({ err }, 'request failed');
      apiErr = new InternalError();
    }
    if (apiErr.status >= 400 && apiErr.status < 500) request.log.info({ status: apiErr.status, error: apiErr.code }, 'request refused');
    return reply.code(apiErr.status).send(errorEnvelope(request, apiErr));
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new RouteNotFoundError();
    return reply.code(e.status).send(errorEnvelope(request, e));
  });

  for (const mod of [...CORE_ROUTES, ...(opts.routes ?? [])]) mod(app, ctx);
  return { app, ctx };
}

/** Builds the API and listens on the configured host and port; resolves with the bound address. */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer & { url: string }> {
  const server = buildApiServer(opts);
  const url = await server.app.listen({ host: opts.config.host, port: opts.config.port });
  return { ...server, url };
}
