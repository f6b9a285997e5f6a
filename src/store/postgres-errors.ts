import { ConflictError, InvalidDocumentError, StoreError, StoreUnavailableError } from './errors';

/** Server error classes (SQLSTATE) meaning "not now" rather than "not this" (PostgreSQL Appendix A). */
const UNAVAILABLE_SQLSTATES = new Set(['57014', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '40P01', '40001']);

/**
 * Maps what `pg` throws to the store's errors. A unique index refusing the write (a live realm
 * taken) is a conflict like CouchDB's 409; text jsonb cannot hold (\u0000) is an invalid
 * document; lost or refused connections, pool waits and timeouts are "unavailable". Messages
 * never carry the connection URL (it may hold a password).
 */
export function storeError(err: unknown, collection = 'docs', id = ''): Error {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const message = e.message ?? String(err);
  if (code === '23505') return new ConflictError(collection, id, undefined, undefined);
  if (code === '22P05' || code === '22021' || code === '22P02') return new InvalidDocumentError(`cannot store ${collection}/${id}: ${message}`);
  if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || /^E[A-Z_]+$/.test(code) || isPoolOrTimeout(message)) {
    return new StoreUnavailableError(code !== '' ? `${code} ${message}` : message, err);
  }
  return err instanceof Error ? err : new Error(message);
}

/** pg-pool and pg raise these without a code. */
function isPoolOrTimeout(message: string): boolean {
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Cannot use a pool after calling end/i.test(message);
}
