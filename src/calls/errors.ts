/**
 * Named, coded errors of the calls part. Each carries the SIP status the caller's INVITE is
 * answered with when the error ends a call before it is answered.
 */
export abstract class CallError extends Error {
  abstract readonly code: string;
  abstract readonly sipStatus: number;
}

/** No callflow and no resource routes the dialled number (answered 404, RFC 3261 21.4.5). */
export class NoRouteError extends CallError {
  readonly code = 'no_route';
  readonly sipStatus = 404;
  constructor(readonly number: string, detail = 'no callflow or resource matches') {
    super(`${number}: ${detail}`);
    this.name = 'NoRouteError';
  }
}

/**
 * A device or user module names a target that cannot be rung: absent, disabled, or another
 * account's. Kazoo's cf_device / cf_user continue with child `_` when the endpoint cannot be
 * built; with nothing after it the call is answered 404, the same for all three causes, so a
 * caller cannot tell another tenant's id from one that does not exist.
 */
export class UnusableTargetError extends CallError {
  readonly code = 'unusable_target';
  readonly sipStatus = 404;
  constructor(readonly number: string, readonly what: string) {
    super(`${number}: ${what} cannot be rung`);
    this.name = 'UnusableTargetError';
  }
}

/**
 * The account the dialled number belongs to is suspended (it or an ancestor `enabled: false`):
 * 403 Forbidden (RFC 3261 21.4.3), the answer its own phones get too; a carrier should not retry
 * the call elsewhere, as it would with a 5xx.
 */
export class AccountDisabledError extends CallError {
  readonly code = 'account_disabled';
  readonly sipStatus = 403;
  constructor(readonly accountId: string) {
    super(`account ${accountId} is disabled`);
    this.name = 'AccountDisabledError';
  }
}

/** The callee exists but has no registered contact (answered 480 Temporarily Unavailable). */
export class NotRegisteredError extends CallError {
  readonly code = 'not_registered';
  readonly sipStatus = 480;
  constructor(readonly what: string) {
    super(`${what} has no registered contact`);
    this.name = 'NotRegisteredError';
  }
}

/** A callflow names a module the B2BUA does not execute, or misses required data. */
export class BadCallflowError extends CallError {
  readonly code = 'bad_callflow';
  readonly sipStatus = 500;
  constructor(readonly callflowId: string, detail: string) {
    super(`callflow ${callflowId}: ${detail}`);
    this.name = 'BadCallflowError';
  }
}

/** Every target of every stage failed; `status` is the final response chosen to relay. */
export class CalleeFailedError extends CallError {
  readonly code = 'callee_failed';
  constructor(readonly sipStatus: number, readonly reason: string) {
    super(`callee failed: ${sipStatus} ${reason}`);
    this.name = 'CalleeFailedError';
  }
}

/** Nobody answered within calls.noAnswerTimeoutSec (answered 480, as Kazoo does on timeout). */
export class NoAnswerError extends CallError {
  readonly code = 'no_answer';
  readonly sipStatus = 480;
  constructor(readonly seconds: number) {
    super(`no answer within ${seconds} s`);
    this.name = 'NoAnswerError';
  }
}

/** The caller cancelled (CANCEL) while the call was ringing; the engine already answered 487. */
export class CallerCancelledError extends CallError {
  readonly code = 'caller_cancelled';
  readonly sipStatus = 487;
  constructor() {
    super('caller cancelled');
    this.name = 'CallerCancelledError';
  }
}

/** rtpengine failed under the call (timeout, instance lost): the call cannot carry media. */
export class MediaFailedError extends CallError {
  readonly code = 'media_failed';
  readonly sipStatus = 503;
  constructor(readonly mediaError: unknown) {
    super(`media failed: ${mediaError instanceof Error ? mediaError.message : String(mediaError)}`);
    this.name = 'MediaFailedError';
  }
}
