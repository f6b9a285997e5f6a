/** How errors raised by `pg` map to the store's error classes (pure mapping, table-driven). */
import t from 'tap';
import { ConflictError, InvalidDocumentError, NotFoundError, StoreUnavailableError } from '../../../src/store';
import { storeError } from '../../../src/store/postgres-errors';

const pgError = (code: string | undefined, message: string): Error => Object.assign(new Error(message), code === undefined ? {} : { code });

const table: Array<[string, Error, new (...args: never[]) => Error]> = [
  ['unique violation (live realm taken)', pgError('23505', 'duplicate key value violates unique constraint "live_account_realms"'), ConflictError],
  ['\\u0000 in a string', pgError('22P05', 'unsupported Unicode escape sequence'), InvalidDocumentError],
  ['statement_timeout', pgError('57014', 'canceling statement due to statement timeout'), StoreUnavailableError],
  ['server shutting down', pgError('57P01', 'terminating connection due to administrator command'), StoreUnavailableError],
  ['server starting up', pgError('57P03', 'the database system is starting up'), StoreUnavailableError],
  ['too many connections', pgError('53300', 'sorry, too many clients already'), StoreUnavailableError],
  ['deadlock', pgError('40P01', 'deadlock detected'), StoreUnavailableError],
  ['connection refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), StoreUnavailableError],
  ['DNS lookup failed for now', pgError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db.example'), StoreUnavailableError],
  ['pool wait', pgError(undefined, 'timeout exceeded when trying to connect'), StoreUnavailableError],
  ['connection lost', pgError(undefined, 'Connection terminated unexpectedly'), StoreUnavailableError],
  ['client-side query timeout', pgError(undefined, 'Query read timeout'), StoreUnavailableError],
  ['a programming error stays itself', pgError('42601', 'syntax error at or near "SELEC"'), Error],
];

for (const [name, input, want] of table) {
  t.test(name, async (t) => {
    const out = storeError(input, 'accounts', 'a1');
    t.type(out, want);
    if (want === Error) t.equal(out, input, 'passed through unchanged');
  });
}

t.test('store errors pass through; unavailable keeps the cause', async (t) => {
  const nf = new NotFoundError('users', 'x');
  t.equal(storeError(nf), nf);
  const cause = pgError('57014', 'canceling statement due to statement timeout');
  const out = storeError(cause);
  t.equal(out.cause, cause);
  t.match(out.message, /^store unavailable: 57014 canceling statement/);
  t.equal((out as StoreUnavailableError).code, 'unavailable');
});
