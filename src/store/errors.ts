/** Errors raised by a DocumentStore. Callers match on `code` (or the class), never on text. */
export abstract class StoreError extends Error {
  abstract readonly code: string;
}

/** No live document with that id in that collection (soft-deleted documents count as absent). */
export class NotFoundError extends StoreError {
  readonly code = 'not_found';
  constructor(readonly collection: string, readonly id: string) {
    super(`${collection}/${id} not found`);
    this.name = 'NotFoundError';
  }
}

/**
 * The caller's revision is not the stored one (someone wrote in between), or a create reused an
 * existing id. CouchDB answers 409 in both cases; so does Crossbar (datastore_conflict).
 */
export class ConflictError extends StoreError {
  readonly code = 'conflict';
  constructor(
    readonly collection: string,
    readonly id: string,
    readonly expectedRev: string | undefined,
    readonly actualRev: string | undefined,
  ) {
    super(`${collection}/${id} conflict: expected revision ${expectedRev ?? '(new)'}, stored ${actualRev ?? '(none)'}`);
    this.name = 'ConflictError';
  }
}

/** The document given to the store cannot be stored (not an object, bad field path...). */
export class InvalidDocumentError extends StoreError {
  readonly code = 'invalid_document';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDocumentError';
  }
}

/**
 * The store's server cannot answer now: connection refused or lost, no pooled connection within
 * the connect timeout, or a statement cancelled by its timeout. Nothing is known to be written
 * when a transaction fails this way (PostgreSQL rolls back what was not committed); the caller
 * may retry later. The message names the cause without the connection URL.
 */
export class StoreUnavailableError extends StoreError {
  readonly code = 'unavailable';
  constructor(message: string, cause?: unknown) {
    super(`store unavailable: ${message}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}
