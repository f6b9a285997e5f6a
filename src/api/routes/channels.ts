import type { FastifyRequest } from 'fastify';
import { METAFLOW_MODULES as MODULES, MetaflowRecordCall } from '../../policy/metaflows-schema';
import { isJsonObject, type JsonObject, type JsonValue } from '../../store';
import { accessAccount } from '../context';
import { sendSuccess } from '../envelope';
import { BadIdentifierError, RefusedError, ValidationError } from '../errors';
import type { ApiRouteModule } from '../server';
import { CHANNEL_EVENTS_DEFAULTS, registerChannelEvents, type ChannelEventsOptions } from './channel-events';
import { addFieldError, compileValidator, mergeErrors, prefixErrors, type FieldErrors, type Validator } from '../validation';

/**
 * Kazoo's channels API (crossbar cb_channels.erl) over the calls in progress:
 *
 *   GET  /v2/accounts/{A}/channels            the account's active calls
 *   GET  /v2/accounts/{A}/channels/{CALL_ID}  one call (404 bad_identifier when unknown or not the account's)
 *   PUT  /v2/accounts/{A}/channels/{CALL_ID}  {"action": "metaflow", "data": {"module": ..., "data": {...}, "children": {"_": ...}}}
 *                                             runs a metaflow on the call (konami's modules; here record_call and hangup): 202
 *   POST /v2/accounts/{A}/channels/{CALL_ID}  {"data": {"action": "hangup"}}: 202 (Kazoo's other actions are not offered)
 *   GET  /v2/accounts/{A}/channels/events     the list as server-sent events (channel-events.ts; not in Kazoo)
 *
 * As in cb_modules_util:get_request_action, `action` is read from the envelope first, then from
 * `data`. The metaflow body is validated as Kazoo's `metaflow` schema (module required, 1-64
 * characters; data an object; children metaflows) and record_call's data as
 * `metaflows.record_call` (action start/stop/toggle/mask/unmask, plus pause/resume/pause_toggle), with
 * field-level 400s keyed from the metaflow node (`module`, `data.action`, `children._.data.format`).
 * Kazoo answers 202 before konami acts; here the action has been applied when the 202 is sent,
 * and a pause / resume the call's state refuses is answered 409 with the code as the message
 * (RECORDING_ALREADY_PAUSED, RECORDING_NOT_PAUSED, RECORDING_NOT_ACTIVE), nothing applied.
 */

/** One metaflow node flattened: the `_` chain is run in order (konami_metaflow_exe). */
export interface MetaflowStep {
  module: string;
  data: JsonObject;
}

/** A record_call action the call's state refuses (pause twice, resume without pause): 409 with `refused` as the code. */
export interface MetaflowRefusal {
  refused: string;
  message: string;
}

/** What the service gives the API about calls in progress. */
export interface ChannelSource {
  /** Channel views of the account's calls in progress. */
  list(accountId: string): JsonObject[];
  /** The call when it is in progress and belongs to the account. */
  get(accountId: string, callId: string): JsonObject | undefined;
  /** Runs the steps on the call; false when the call is gone meanwhile, the refusal when an action contradicts its state. */
  metaflow(accountId: string, callId: string, steps: readonly MetaflowStep[]): Promise<boolean | MetaflowRefusal>;
  /** Hangs the call up; false when it is gone. */
  hangup(accountId: string, callId: string): Promise<boolean>;
}

/**
 * The other nodes of a cluster (service/peers.ts): the list covers every node's calls, and a
 * request about a call another node owns is answered by that node.
 */
export interface ChannelPeers {
  /** A request another node forwarded here: answer from this node's calls only (no loops). */
  forwarded(request: FastifyRequest): boolean;
  /** The account's channels on the other live nodes, asked with `token` (a node that does not answer is left out). */
  listElsewhere(token: string, accountId: string): Promise<JsonObject[]>;
  /** The owner's answer when another node owns the call; undefined when no other node does. */
  forward(request: FastifyRequest, callId: string): Promise<{ status: number; body: unknown } | undefined>;
}

/** Kazoo's bound on a flow here: a metaflow is a short chain, and walks must end. */
const MAX_METAFLOW_DEPTH = 16;

/** Metaflow modules this product runs. */
export const METAFLOW_MODULES: readonly string[] = MODULES;
export { MetaflowRecordCall };

const ENUM_MESSAGE = 'Value not found in enumerated list of values';

function objectType(errors: FieldErrors, path: string): void {
  addFieldError(errors, path, 'type', { message: 'Value did not match type(s): object', target: 'object' });
}

/**
 * Validates a metaflow node and flattens its `_` chain into steps. Returns the field errors
 * (keys relative to the node, as Kazoo reports a request's data) or the steps.
 */
export function parseMetaflow(node: unknown, moduleData: Record<string, Validator>): { errors: FieldErrors } | { steps: MetaflowStep[] } {
  const errors: FieldErrors = {};
  const steps: MetaflowStep[] = [];
  let current: unknown = node;
  let path = '';
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  for (let depth = 0; current !== undefined; depth++) {
    if (depth >= MAX_METAFLOW_DEPTH) {
      addFieldError(errors, path, 'maxDepth', { message: `The metaflow is deeper than ${MAX_METAFLOW_DEPTH} nodes` });
      break;
    }
    if (!isJsonObject(current)) {
      objectType(errors, path);
      break;
    }
    const module = current['module'];
    const data = current['data'] ?? {};
    if (module === undefined) addFieldError(errors, at('module'), 'required', { message: 'Field is required but missing' });
    else if (typeof module !== 'string') addFieldError(errors, at('module'), 'type', { message: 'Value did not match type(s): string', target: 'string' });
    else if (module.length < 1 || module.length > 64) {
      addFieldError(errors, at('module'), module.length < 1 ? 'minLength' : 'maxLength', {
        message: module.length < 1 ? 'String must be at least 1 characters' : 'String must not be more than 64 characters',
        target: module.length < 1 ? 1 : 64, cause: module,
      });
    } else if (!METAFLOW_MODULES.includes(module)) {
      addFieldError(errors, at('module'), 'enum', { message: ENUM_MESSAGE, target: [...METAFLOW_MODULES], cause: module });
    }
    if (!isJsonObject(data)) objectType(errors, at('data'));
    else if (typeof module === 'string' && METAFLOW_MODULES.includes(module)) {
      const copy = structuredClone(data);
      const e = moduleData[module]?.(copy) ?? null;
      if (e !== null) mergeErrors(errors, prefixErrors(at('data'), e));
      steps.push({ module, data: copy });
    }
    const children = current['children'];
    if (children !== undefined && !isJsonObject(children)) {
      objectType(errors, at('children'));
      break;
    }
    current = children?.['_'];
    path = at('children._');
  }
  return Object.keys(errors).length > 0 ? { errors } : { steps };
}

/** Where Crossbar finds `action`: the envelope first, then `data`. */
export function requestAction(body: unknown): JsonValue | undefined {
  if (!isJsonObject(body)) return undefined;
  const top = body['action'];
  if (top !== undefined) return top;
  const data = body['data'];
  return isJsonObject(data) ? data['action'] : undefined;
}

function bodyObject(request: FastifyRequest): JsonObject {
  const body: unknown = request.body;
  if (body === undefined || body === null) return {};
  if (!isJsonObject(body)) throw new ValidationError({ '': { type: { message: 'Value did not match type(s): object', target: 'object' } } });
  return body;
}

function checkAction(action: JsonValue | undefined, allowed: readonly string[]): void {
  if (action === undefined) throw new ValidationError({ action: { required: { message: 'Field is required but missing' } } });
  if (typeof action !== 'string' || !allowed.includes(action)) {
    throw new ValidationError({ action: { enum: { message: ENUM_MESSAGE, target: [...allowed], ...(typeof action === 'string' ? { cause: action } : {}) } } });
  }
}

type ChannelRequest = FastifyRequest<{ Params: { accountId: string; callId: string } }>;

export function channelsRoute(source: ChannelSource, events: ChannelEventsOptions = CHANNEL_EVENTS_DEFAULTS, peers?: ChannelPeers): ApiRouteModule {
  return (app, ctx) => {
    registerChannelEvents(app, ctx, source, events, peers);
    const moduleData: Record<string, Validator> = {
      record_call: compileValidator(ctx.ajv, MetaflowRecordCall),
    };

    /**
     * The account (401/403/404 as every route) and the call, which must be the account's (404);
     * or, for a call another node owns, that node's answer (sent as it is).
     */
    const channelOf = async (request: ChannelRequest): Promise<{ accountId: string; channel: JsonObject } | { status: number; body: unknown }> => {
      const account = await accessAccount(ctx, request, request.params.accountId);
      const channel = source.get(account._id, request.params.callId);
      if (channel !== undefined) return { accountId: account._id, channel };
      const there = peers && !peers.forwarded(request) ? await peers.forward(request, request.params.callId) : undefined;
      if (there) return there;
      throw new BadIdentifierError(request.params.callId);
    };

    app.get<{ Params: { accountId: string } }>('/v2/accounts/:accountId/channels', async (request, reply) => {
      const account = await accessAccount(ctx, request, request.params.accountId);
      const elsewhere = peers && !peers.forwarded(request) ? await peers.listElsewhere(request.auth?.token ?? '', account._id) : [];
      return sendSuccess(request, reply, [...source.list(account._id), ...elsewhere]);
    });

    app.get<{ Params: { accountId: string; callId: string } }>('/v2/accounts/:accountId/channels/:callId', async (request, reply) => {
      const found = await channelOf(request);
      if ('status' in found) return reply.code(found.status).send(found.body);
      return sendSuccess(request, reply, found.channel);
    });

    app.put<{ Params: { accountId: string; callId: string } }>('/v2/accounts/:accountId/channels/:callId', async (request, reply) => {
      const found = await channelOf(request);
      if ('status' in found) return reply.code(found.status).send(found.body);
      const { accountId } = found;
      const body = bodyObject(request);
      checkAction(requestAction(body), ['metaflow']);
      const parsed = parseMetaflow(body['data'], moduleData);
      if ('errors' in parsed) throw new ValidationError(parsed.errors);
      request.log.info({ callId: request.params.callId, steps: parsed.steps.map((s) => s.module) }, 'metaflow on channel');
      const done = await source.metaflow(accountId, request.params.callId, parsed.steps);
      if (done === false) throw new BadIdentifierError(request.params.callId);
      if (done !== true) throw new RefusedError(done.refused, done.message, 409);
      return sendSuccess(request, reply, 'metaflow sent', { status: 202 });
    });

    app.post<{ Params: { accountId: string; callId: string } }>('/v2/accounts/:accountId/channels/:callId', async (request, reply) => {
      const found = await channelOf(request);
      if ('status' in found) return reply.code(found.status).send(found.body);
      const { accountId } = found;
      checkAction(requestAction(bodyObject(request)), ['hangup']);
      if (!(await source.hangup(accountId, request.params.callId))) throw new BadIdentifierError(request.params.callId);
      return sendSuccess(request, reply, 'hangup initiated', { status: 202 });
    });
  };
}
