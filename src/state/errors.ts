/** Errors of the shared state. Callers match on `code` (or the class), never on text. */
export class StateUnavailableError extends Error {
  readonly code = 'STATE_UNAVAILABLE';
  constructor(readonly operation: string, readonly reason: unknown) {
    super(`shared state unavailable (${operation}): ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'StateUnavailableError';
  }
}

/** An optimistic update of one key lost the race too many times in a row. */
export class StateContendedError extends Error {
  readonly code = 'STATE_CONTENDED';
  constructor(readonly key: string, readonly attempts: number) {
    super(`update of ${key} still contended after ${attempts} attempts`);
    this.name = 'StateContendedError';
  }
}
