import type { JsonObject } from '../store';
import type { FieldErrors } from './validation';

/**
 * An error answered with Crossbar's envelope: HTTP `status`, `error` = the status as a string,
 * `message` = Kazoo's error name (bad_identifier, forbidden...), `data` = details. The classes
 * mirror cb_context:add_system_error's cases so the wire output matches Kazoo's.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  /** Kazoo's error name, sent as the envelope's `message`. */
  abstract readonly code: string;
  abstract readonly data: JsonObject | FieldErrors;
}

export class ValidationError extends ApiError {
  readonly status = 400;
  readonly code = 'validation error';
  constructor(readonly data: FieldErrors) {
    super('validation error');
    this.name = 'ValidationError';
  }
}

export class ParseError extends ApiError {
  readonly status = 400;
  readonly code = 'parse_error';
  readonly data = { message: 'failed to parse request body' };
  constructor() {
    super('failed to parse request body');
    this.name = 'ParseError';
  }
}

/** A body nested deeper than api.maxBodyDepth (not in Kazoo, whose JSON decoder has no bound). */
export class BodyTooDeepError extends ApiError {
  readonly status = 400;
  readonly code = 'parse_error';
  readonly data: JsonObject;
  constructor(readonly maxDepth: number) {
    super(`request body nested deeper than ${maxDepth} levels`);
    this.name = 'BodyTooDeepError';
    this.data = { message: `request body nested deeper than ${maxDepth} levels`, target: maxDepth };
  }
}

export class InvalidCredentialsError extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_credentials';
  readonly data = { message: 'invalid credentials' };
  constructor() {
    super('invalid credentials');
    this.name = 'InvalidCredentialsError';
  }
}

/** Kept free of any detail: a refused cross-tenant request must not learn anything. */
export class ForbiddenError extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden';
  readonly data = { message: 'forbidden' };
  constructor() {
    super('forbidden');
    this.name = 'ForbiddenError';
  }
}

/**
 * The token's account, or one of its ancestors, is disabled (`enabled: false`): the account is
 * suspended and every request of it is refused until an ancestor enables it again. Said plainly,
 * unlike ForbiddenError: the caller already proved it holds this account's credentials.
 */
export class AccountDisabledError extends ApiError {
  readonly status = 403;
  readonly code = 'account_disabled';
  readonly data = { message: 'account disabled' };
  constructor() {
    super('account disabled');
    this.name = 'AccountDisabledError';
  }
}

export class BadIdentifierError extends ApiError {
  readonly status = 404;
  readonly code = 'bad_identifier';
  readonly data: JsonObject;
  constructor(cause: string) {
    super('bad identifier');
    this.name = 'BadIdentifierError';
    this.data = { message: 'bad identifier', cause };
  }
}

export class RouteNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
  readonly data = { message: 'not found' };
  constructor() {
    super('not found');
    this.name = 'RouteNotFoundError';
  }
}

export class ConflictApiError extends ApiError {
  readonly status = 409;
  readonly code = 'datastore_conflict';
  readonly data = { message: 'conflicting documents' };
  constructor() {
    super('conflicting documents');
    this.name = 'ConflictApiError';
  }
}

/** The resource exists but is not in a state that allows the action (e.g. retrying an uploaded recording). */
export class StateConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'conflict';
  readonly data: JsonObject;
  constructor(message: string, cause: string) {
    super(message);
    this.name = 'StateConflictError';
    this.data = { message, cause };
  }
}

/**
 * A request Kazoo refuses by rule rather than by schema (e.g. deleting an account with children):
 * 400; or 409 for an action the resource's current state refuses (pausing a paused recording,
 * `code` then PART_WHAT).
 */
export class RefusedError extends ApiError {
  readonly data: JsonObject;
  constructor(readonly code: string, message: string, readonly status: 400 | 409 = 400) {
    super(message);
    this.name = 'RefusedError';
    this.data = { message };
  }
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  readonly data = { message: 'request body too large' };
  constructor() {
    super('request body too large');
    this.name = 'PayloadTooLargeError';
  }
}

export class InternalError extends ApiError {
  readonly status = 500;
  readonly code = 'datastore_fault';
  readonly data = { message: 'datastore fatal error' };
  constructor() {
    super('datastore fatal error');
    this.name = 'InternalError';
  }
}

/**
 * The document store cannot answer now (PostgreSQL down, pool exhausted, statement timeout):
 * 503 like Crossbar's datastore_unreachable, so clients retry rather than treat it as a bug.
 */
export class DatastoreUnreachableError extends ApiError {
  readonly status = 503;
  readonly code = 'datastore_unreachable';
  readonly data = { message: 'datastore unreachable' };
  constructor() {
    super('datastore unreachable');
    this.name = 'DatastoreUnreachableError';
  }
}

/** An account already holds api's bound of open event streams (each one polls the calls every second). */
export class TooManyStreamsError extends ApiError {
  readonly status = 429;
  readonly code = 'too_many_requests';
  readonly data: JsonObject;
  constructor(readonly limit: number) {
    super('too many event streams');
    this.name = 'TooManyStreamsError';
    this.data = { message: `at most ${limit} event streams per account`, target: limit };
  }
}

/** Too many failed logins from one address (not in Kazoo, which has no such guard). */
export class TooManyRequestsError extends ApiError {
  readonly status = 429;
  readonly code = 'too_many_requests';
  readonly data = { message: 'too many failed attempts, retry later' };
  constructor() {
    super('too many failed attempts');
    this.name = 'TooManyRequestsError';
  }
}

/** The shared state (Redis) cannot be reached: retry later, possibly on another node. */
export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'state_unavailable';
  readonly data = { message: 'shared state unavailable, retry later' };
  constructor() {
    super('shared state unavailable');
    this.name = 'ServiceUnavailableError';
  }
}

/** The node that owns a call did not answer a forwarded channels request in time. */
export class NodeUnreachableError extends ApiError {
  readonly status = 503;
  readonly code = 'node_unreachable';
  readonly data: { message: string; node: string };
  constructor(node: string) {
    super(`node ${node} unreachable`);
    this.name = 'NodeUnreachableError';
    this.data = { message: 'the node holding the call did not answer, retry later', node };
  }
}
