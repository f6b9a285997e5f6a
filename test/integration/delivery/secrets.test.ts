/**
 * Secrets stay secret in the delivery spool and logs: upload URLs with credentials
 * (https://user:pass@host/...) never appear in a log line or an error message with their
 * password, and the spool (directories 0700, records and files 0600) is owner-only whatever the
 * process umask and whatever mode the producer gave the file.
 */
import { createServer } from 'node:http';
import { freePort } from '../../helpers/ports';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { makeRecording, meta, startQueue, testConfig, waitStatus, workDirs } from './common';

const PASSWORD = 's3cret-pw';

t.test('credentials in upload URLs are redacted in every log line; spool modes are owner-only', async (t) => {
  // Always redirects to itself: every attempt ends in too_many_redirects, whose message names the URL.
  const loop = createServer((req, res) => { res.writeHead(302, { location: req.url ?? '/' }).end(); });
  const port = await freePort();
  await new Promise<void>((r) => loop.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => loop.close(() => r())));

  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { maxRedirects: 2, backoffBaseMs: 10_000, backoffMaxMs: 10_000 }), { logger });
  t.teardown(() => q.close());

  const failures: string[] = [];
  q.on('failure', (f) => failures.push(f.message));
  const looping = await q.enqueue({ filePath: (await makeRecording(src, 2000)).path, meta: meta(`http://rec-user:${PASSWORD}@127.0.0.1:${port}/rec`) });
  const invalid = await q.enqueue({ filePath: (await makeRecording(src, 1000)).path, meta: meta(`http://rec-user:${PASSWORD}@[bad/rec`) });
  const end = Date.now() + 10_000;
  while (!q.get(looping.id)?.lastError && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const retried = q.get(looping.id);
  const failed = await waitStatus(q, invalid.id, ['failed'], 5000);

  t.equal(retried?.lastError?.code, 'too_many_redirects', 'the looping upload failed once and waits for its retry');
  t.equal(failed.lastError?.code, 'url_invalid');
  t.match(retried?.lastError?.message, /https?:\/\/\*\*\*@127\.0\.0\.1/, 'the error message names the URL, redacted');
  t.notMatch(failed.lastError?.message, PASSWORD, 'an unparseable URL in an error message is redacted too');
  t.ok(lines.some((l) => l.includes(`http://***@127.0.0.1:${port}/rec`)), 'the URL is logged (redacted) when queued');
  t.ok(lines.some((l) => l.includes('too_many_redirects')), 'the failed attempt is logged');
  t.same(lines.filter((l) => l.includes(PASSWORD)), [], 'no log line carries the password');
  t.same(failures.filter((m) => m.includes(PASSWORD)), [], 'nor does any failure event');

  const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
  t.equal(mode(spool), '700', 'spool directory');
  t.equal(mode(join(spool, 'meta')), '700');
  t.equal(mode(join(spool, 'files')), '700');
  const metas = readdirSync(join(spool, 'meta'));
  const files = readdirSync(join(spool, 'files'));
  t.equal(metas.length, 2);
  t.equal(files.length, 2);
  for (const f of metas) t.equal(mode(join(spool, 'meta', f)), '600', `record ${f} (holds the URL)`);
  for (const f of files) t.equal(mode(join(spool, 'files', f)), '600', `recording ${f} (was 0644 at the producer)`);
});
