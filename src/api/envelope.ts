import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonObject, JsonValue } from '../store';
import type { ApiError } from './errors';

/** Crossbar v2 response envelope (api_util:create_resp_envelope). */
export interface SuccessEnvelope {
  data: JsonValue;
  /** Present only when the answer is one document (its `_rev`); lists and actions have none. */
  revision?: string;
  request_id: string;
  status: 'success';
  auth_token: string;
}

export interface ErrorEnvelope {
  data: JsonValue;
  error: string;
  message: string;
  request_id: string;
  status: 'error';
  auth_token: string;
}

function authToken(request: FastifyRequest): string {
  const h = request.headers['x-auth-token'];
  return typeof h === 'string' ? h : '';
}

export interface SendOptions {
  status?: number;
  /**
   * The document's revision. Without one the envelope has no `revision` key: Kazoo prints the
   * Erlang atom `undefined` there, which reaches clients as the string "undefined" and reads
   * like a revision; an absent key cannot be mistaken for one.
   */
  revision?: string;
  /** Overrides the echoed token (api_auth answers with the token it created). */
  authToken?: string;
}

export function sendSuccess(request: FastifyRequest, reply: FastifyReply, data: JsonValue, opts: SendOptions = {}): FastifyReply {
  const body: SuccessEnvelope = {
    data,
    ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
    request_id: request.id,
    status: 'success',
    auth_token: opts.authToken ?? authToken(request),
  };
  if (opts.revision !== undefined) void reply.header('etag', `"${opts.revision}"`);
  return reply.code(opts.status ?? 200).send(body);
}

export function errorEnvelope(request: FastifyRequest, err: ApiError): ErrorEnvelope {
  return {
    data: err.data as JsonObject,
    error: String(err.status),
    message: err.code,
    request_id: request.id,
    status: 'error',
    auth_token: authToken(request),
  };
}
