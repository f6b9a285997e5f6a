import { StateUnavailableError } from '../state/errors';
import { StoreUnavailableError } from '../store/errors';

/** Errors raised by signalling. Callers match on `code` (or the class), never on text. */
export abstract class SignallingError extends Error {
  abstract readonly code: string;
}

/** A state machine was asked for a move its table does not allow (a bug, not a network event). */
export class InvalidTransitionError extends SignallingError {
  readonly code = 'invalid_transition';
  constructor(readonly machine: string, readonly from: string, readonly to: string) {
    super(`${machine}: ${from} -> ${to} not allowed`);
    this.name = 'InvalidTransitionError';
  }
}

/** No final response to an outbound REGISTER within the configured time. */
export class RegisterTimeoutError extends SignallingError {
  readonly code = 'register_timeout';
  constructor() {
    super('no final response to REGISTER');
    this.name = 'RegisterTimeoutError';
  }
}

/** The provider kept challenging (stale nonces) beyond the rounds one attempt allows. */
export class TooManyChallengesError extends SignallingError {
  readonly code = 'too_many_challenges';
  constructor() {
    super('too many authentication challenges');
    this.name = 'TooManyChallengesError';
  }
}

/**
 * Whether a failure is a shared back end being down (Redis state, PostgreSQL store) rather
 * than a bug: SIP answers it 503 + Retry-After so the client retries later or elsewhere
 * (RFC 3261 21.5.4), never 500.
 */
export function backendUnavailable(err: unknown): boolean {
  return err instanceof StateUnavailableError || err instanceof StoreUnavailableError;
}
