import t from 'tap';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UploadServer } from '../../helpers/upload-server';
import { makeRecording, meta, workDirs } from './common';
import { keyFiles } from '../../helpers/atrest';
import { looksEncrypted } from '../../../src/atrest/framing';
import type { DeliveryRecord } from '../../../src/delivery';

// The compiled standalone delivery process (dist/src/delivery/standalone.js).
const STANDALONE = resolve(__dirname, '../../../src/delivery/standalone.js');

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
  exited: Promise<void>;
}

function startChild(configFile: string): Child {
  const proc = spawn(process.execPath, [STANDALONE], {
    // Its store (S3 credentials, sidecar settings) beside the config, not in the working directory.
    env: { ...process.env, B2BUA_CONFIG: configFile, B2BUA_LOG_LEVEL: 'warn', B2BUA_STORE__PATH: join(dirname(configFile), 'store.sqlite') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: proc.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[delivery child] ${d.toString()}`));
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  return { proc, lines, exited };
}

async function waitLine(c: Child, event: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const l = c.lines.find((x) => x.event === event);
    if (l) return l;
    if (Date.now() > end) throw new Error(`child did not report ${event} within ${timeoutMs} ms: ${JSON.stringify(c.lines.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function recordsOnDisk(spool: string): DeliveryRecord[] {
  return readdirSync(join(spool, 'meta'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(spool, 'meta', f), 'utf8')) as DeliveryRecord);
}

function recordOnDisk(spool: string): DeliveryRecord {
  const files = readdirSync(join(spool, 'meta')).filter((f) => f.endsWith('.json'));
  if (files.length !== 1) throw new Error(`expected one record, found ${files.length}`);
  return JSON.parse(readFileSync(join(spool, 'meta', files[0]), 'utf8')) as DeliveryRecord;
}

t.test('SIGKILL during an upload: restarted process delivers the whole file under the same name', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const configFile = join(src, '..', 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      delivery: { spoolDir: spool, allow: ['127.0.0.1/32'], backoffBaseMs: 20, backoffMaxMs: 100, transferTimeoutMs: 10_000, connectTimeoutMs: 2000 },
    }),
  );
  const rec = await makeRecording(src, 12 * 1024 * 1024);
  srv.throttle(2 * 1024 * 1024); // about 6 s for the whole file: plenty of time to kill mid-transfer

  const first = startChild(configFile);
  t.teardown(() => {
    first.proc.kill('SIGKILL');
  });
  await waitLine(first, 'started', 15_000);
  first.proc.stdin.write(`${JSON.stringify({ filePath: rec.path, meta: meta(`${srv.url}/calls/`) })}\n`);
  await waitLine(first, 'enqueued', 10_000);
  await srv.waitFor(() => srv.bytesInProgress() >= 1024 * 1024, 20_000, '1 MiB of the first attempt');
  first.proc.kill('SIGKILL');
  await first.exited;

  const crashed = recordOnDisk(spool);
  t.equal(crashed.status, 'uploading', 'record says an attempt was in progress');
  t.equal(crashed.attempts, 1);
  await srv.waitFor(() => srv.requests.length === 1 && srv.bytesInProgress() === 0, 10_000, 'the cut connection');
  t.notOk(srv.requests[0].complete, 'first attempt was cut off');
  t.ok(srv.requests[0].body.length < rec.bytes.length, 'receiver got a partial body only');

  srv.reset();
  const second = startChild(configFile);
  t.teardown(() => {
    second.proc.kill('SIGKILL');
  });
  const started = await waitLine(second, 'started', 15_000);
  t.equal(started.records, 1, 'spool replayed at start');
  const ok = await waitLine(second, 'success', 30_000);
  t.equal(ok.id, crashed.id);
  second.proc.kill('SIGTERM');
  await second.exited;

  const done = srv.delivered();
  t.equal(done.length, 1);
  t.ok(done[0].body.equals(rec.bytes), 'whole file arrived byte for byte');
  t.equal(done[0].url, srv.requests[0].url, 'same URL and name as the interrupted attempt');
  t.match(done[0].path, /^\/calls\/call_recording_call-[0-9a-f]+%4010\.0\.0\.1\.mp3$/);
  const final = recordOnDisk(spool);
  t.equal(final.status, 'uploaded');
  t.equal(final.attempts, 2);
  t.same(readdirSync(join(spool, 'files')), [], 'spool file removed after the upload');
});

t.test('SIGKILL at random moments while enqueueing and uploading loses nothing', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  srv.throttle(4 * 1024 * 1024);
  const { spool, src } = await workDirs();
  const configFile = join(src, '..', 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({ delivery: { spoolDir: spool, allow: ['127.0.0.1/32'], backoffBaseMs: 10, backoffMaxMs: 50, concurrency: 2 } }),
  );
  const jobs: Array<{ path: string; bytes: Buffer }> = [];
  for (let round = 0; round < 5; round++) {
    const c = startChild(configFile);
    t.teardown(() => {
      c.proc.kill('SIGKILL');
    });
    await waitLine(c, 'started', 15_000);
    for (let i = 0; i < 2; i++) {
      const j = await makeRecording(src, 200_000 + Math.floor(Math.random() * 400_000));
      jobs.push(j);
      c.proc.stdin.write(`${JSON.stringify({ filePath: j.path, meta: meta(`${srv.url}/r`) })}\n`);
    }
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)));
    c.proc.kill('SIGKILL');
    await c.exited;
  }
  srv.reset();
  const last = startChild(configFile);
  t.teardown(() => {
    last.proc.kill('SIGKILL');
  });
  await waitLine(last, 'started', 15_000);
  await srv.waitFor(() => recordsOnDisk(spool).every((r) => r.status === 'uploaded'), 60_000, 'every journaled recording uploaded');
  last.proc.kill('SIGTERM');
  await last.exited;

  const records = recordsOnDisk(spool);
  let delivered = 0;
  let notTaken = 0;
  for (const j of jobs) {
    if (existsSync(j.path)) {
      // Killed before the child took it: the caller still holds its file, untouched.
      t.ok(readFileSync(j.path).equals(j.bytes), 'job never taken keeps its source file');
      notTaken++;
      continue;
    }
    const got = srv.delivered().filter((u) => u.body.equals(j.bytes));
    t.ok(got.length >= 1, `recording of ${j.bytes.length} bytes delivered whole`);
    delivered++;
  }
  t.comment(`${delivered} delivered, ${notTaken} never taken, ${srv.requests.length} requests`);
  t.equal(delivered + notTaken, jobs.length);
  t.equal(records.length, delivered, 'one record per taken recording');
  t.ok(delivered >= 1, 'some recordings went through the kills');
  t.same(readdirSync(join(spool, 'files')), [], 'no file left behind');
});

t.test('with an at-rest key the standalone process seals the spool and its records, and uploads the plaintext', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const { sources } = keyFiles(['k1']);
  const configFile = join(src, '..', 'config.json');
  writeFileSync(configFile, JSON.stringify({
    delivery: { spoolDir: spool, allow: ['127.0.0.1/32'], backoffBaseMs: 200, backoffMaxMs: 200, keepUploaded: true },
    storage: { encryption: { keys: sources, activeKeyId: 'k1' } },
  }));
  srv.failNext(1, 503); // the first attempt fails: the spool can be looked at before the upload
  const c = startChild(configFile);
  t.teardown(() => {
    c.proc.kill('SIGKILL');
  });
  await waitLine(c, 'started', 15_000);
  const rec = await makeRecording(src, 100_000);
  c.proc.stdin.write(`${JSON.stringify({ filePath: rec.path, meta: meta(`${srv.url}/sealed`) })}\n`);
  await waitLine(c, 'enqueued', 10_000);
  const metaFiles = readdirSync(join(spool, 'meta')).filter((f) => f.endsWith('.json'));
  t.equal(metaFiles.length, 1);
  t.ok(looksEncrypted(readFileSync(join(spool, 'meta', metaFiles[0]))), 'the record is sealed');
  const spooled = readdirSync(join(spool, 'files'));
  t.ok(looksEncrypted(readFileSync(join(spool, 'files', spooled[0]))), 'the recording is sealed');
  await srv.waitFor(() => srv.delivered().some((x) => x.status === 200 && x.complete), 20_000, 'the upload');
  t.ok(srv.delivered().find((x) => x.status === 200)?.body.equals(rec.bytes), 'the receiver got the plaintext');
});
