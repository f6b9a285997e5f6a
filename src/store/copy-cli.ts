/**
 * `npm run store:copy -- --from var/b2bua.sqlite --to postgres://user:pw@host/db`: copies a
 * SQLite store into PostgreSQL (see copySqliteToPostgres). Prints one JSON line with the counts;
 * exits 1 with the reason on stderr (never the URL: it may hold a password).
 */
import { parseArgs } from 'node:util';
import { copySqliteToPostgres } from './copy';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
  if (values.from === undefined || values.to === undefined) {
    throw new Error('usage: store:copy -- --from <sqlite file> --to <postgres://...>');
  }
  const report = await copySqliteToPostgres(values.from, values.to);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`store:copy: ${err.message}\n`);
  process.exit(1);
});
