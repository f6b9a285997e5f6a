import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UploadServer } from '../../helpers/upload-server';
import { DeliveryStatus, type DeliveryRecord } from '../../../src/delivery';
import { makeRecording, meta, startQueue, testConfig, waitStatus, workDirs } from './common';

t.test('PUT and POST arrive with the exact bytes, Kazoo name, query and headers', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool));
  t.teardown(() => q.close());
  const mirrored: Array<[string, string]> = [];
  q.on('record', (r) => mirrored.push([r.id, r.status]));

  const put = await makeRecording(src, 300_000);
  const post = await makeRecording(src, 70_001, 'b.wav');
  const m1 = meta(`${srv.url}/store/`, { method: 'put' });
  const m2 = meta(`${srv.url}/post?token=s3cret`, { method: 'post', format: 'wav' });
  const r1 = await q.enqueue({ filePath: put.path, meta: m1 });
  const r2 = await q.enqueue({ filePath: post.path, meta: m2 });
  t.notOk(existsSync(put.path), 'source file moved into the spool');
  t.ok(existsSync(join(spool, 'meta', `${r1.id}.json`)), 'journal entry on disk');
  t.match(r1.id, /^202611-[0-9a-f]{32}$/, 'Kazoo-style recording id');

  const d1 = await waitStatus(q, r1.id, [DeliveryStatus.Uploaded]);
  await waitStatus(q, r2.id, [DeliveryStatus.Uploaded]);
  t.equal(d1.attempts, 1);
  t.equal(d1.httpStatus, 200);

  const got1 = srv.delivered().find((r) => r.method === 'PUT');
  const got2 = srv.delivered().find((r) => r.method === 'POST');
  if (!got1 || !got2) throw new Error('uploads missing');
  t.ok(got1.body.equals(put.bytes), 'PUT body identical');
  t.ok(got2.body.equals(post.bytes), 'POST body identical');
  t.equal(got1.path, `/store/call_recording_${encodeURIComponent(m1.callId)}.mp3`);
  t.equal(got1.headers['content-type'], 'audio/mpeg');
  t.equal(got1.headers['content-length'], '300000');
  t.equal(got2.headers['content-type'], 'audio/x-wav');
  t.equal(got1.query.call_id, m1.callId);
  t.equal(got1.query.from, m1.from);
  t.equal(got1.query.account_id, m1.accountId);
  t.equal(got1.query.recording_id, r1.id);
  t.equal(got1.query.duration_ms, '12000');
  t.equal(got1.query.start, String(Math.floor(m1.startedAt / 1000) + 62_167_219_200));
  t.equal(got2.path, '/post');
  t.equal(got2.query.token, 's3cret');
  t.equal(got2.query.recording, `call_recording_${m2.callId}.wav`);
  t.equal(got1.url, new URL(d1.targetUrl).pathname + new URL(d1.targetUrl).search, 'sent to the URL stored in the record');

  await srv.waitFor(() => !existsSync(join(spool, 'files', d1.file as string)), 5000, 'uploaded file removed');
  t.notOk(existsSync(join(spool, 'files', d1.file as string)), 'uploaded file removed (keepUploaded false)');
  t.equal(q.list({ accountId: m1.accountId }).length, 2, 'records kept and listed');
  t.same(mirrored.filter(([id]) => id === r1.id).map(([, st]) => st), ['pending', 'uploading', 'uploaded'], 'every durable change mirrored');
  t.equal(q.list({ status: DeliveryStatus.Uploaded }).length, 2);
  t.same(q.depth(), { pending: 0, uploading: 0, failed: 0 });
});

t.test('server down for a while then back: every recording delivered, same name on retry', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  await srv.down();
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { concurrency: 2 }));
  t.teardown(() => q.close());
  const failures: string[] = [];
  q.on('failure', (e) => failures.push(e.code));

  const files = await Promise.all([1, 2, 3, 4, 5].map((i) => makeRecording(src, 10_000 + i)));
  const recs: DeliveryRecord[] = [];
  for (const f of files) recs.push(await q.enqueue({ filePath: f.path, meta: meta(`${srv.url}/r`) }));
  // Down until every recording has failed at least once.
  await srv.waitFor(() => recs.every((r) => q.get(r.id)?.lastError !== null), 10_000, 'a failed attempt per recording');
  t.ok(failures.every((c) => c === 'connection_failed'), 'attempts failed with connection errors while down');
  await srv.up();
  for (const r of recs) await waitStatus(q, r.id, [DeliveryStatus.Uploaded]);
  t.equal(srv.delivered().length, 5, 'all five delivered once up');
  for (let i = 0; i < files.length; i++) {
    const got = srv.delivered().find((u) => u.query.recording_id === recs[i].id);
    t.ok(got && got.body.equals(files[i].bytes), `recording ${i} bytes identical`);
    t.ok((q.get(recs[i].id)?.attempts ?? 0) >= 2, `recording ${i} needed retries`);
  }
});

t.test('500s then success; slow answer hits the transfer timeout then success', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { transferTimeoutMs: 300 }));
  t.teardown(() => q.close());
  const codes: string[] = [];
  q.on('failure', (e) => codes.push(e.code));

  srv.failNext(3, 500);
  const a = await makeRecording(src, 5000);
  const ra = await q.enqueue({ filePath: a.path, meta: meta(`${srv.url}/x`) });
  const da = await waitStatus(q, ra.id, [DeliveryStatus.Uploaded]);
  t.equal(da.attempts, 4, 'three 500s then success');
  t.same(codes, ['http_status', 'http_status', 'http_status']);
  t.equal(da.lastError?.code, 'http_status', 'last error kept for the record');
  const sent = srv.requests.filter((r) => r.query.recording_id === ra.id);
  t.equal(new Set(sent.map((r) => r.url)).size, 1, 'every retry used the same URL and name');

  codes.length = 0;
  srv.delayNext(1500);
  const b = await makeRecording(src, 5000);
  const rb = await q.enqueue({ filePath: b.path, meta: meta(`${srv.url}/x`) });
  const db = await waitStatus(q, rb.id, [DeliveryStatus.Uploaded]);
  t.same(codes, ['transfer_timeout'], 'slow answer timed out once');
  t.equal(db.attempts, 2);
  t.ok(srv.delivered().find((r) => r.query.recording_id === rb.id)?.body.equals(b.bytes));
});

t.test('refused internal URL when loopback is not allowed', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  // Default policy: loopback denied. Plus a name resolving to the metadata address.
  const q = await startQueue(testConfig(spool, { allow: [] }), {
    resolve: async (host) => (host === 'meta.test' ? [{ address: '169.254.169.254', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]),
  });
  t.teardown(() => q.close());
  const a = await makeRecording(src, 1000);
  const ra = await q.enqueue({ filePath: a.path, meta: meta(`${srv.url}/x`) });
  const da = await waitStatus(q, ra.id, [DeliveryStatus.Failed]);
  t.equal(da.lastError?.code, 'url_refused');
  t.match(da.lastError?.message, /127\.0\.0\.1.*127\.0\.0\.0\/8 \(built-in\)/);
  t.equal(da.attempts, 1, 'not retried');
  t.ok(existsSync(join(spool, 'files', da.file as string)), 'file kept');

  const b = await makeRecording(src, 1000);
  const rb = await q.enqueue({ filePath: b.path, meta: meta('http://meta.test/latest/') });
  const dbr = await waitStatus(q, rb.id, [DeliveryStatus.Failed]);
  t.equal(dbr.lastError?.code, 'url_refused');
  t.match(dbr.lastError?.message, /169\.254\.169\.254/);

  const c = await makeRecording(src, 1000);
  const rc = await q.enqueue({ filePath: c.path, meta: meta('ftp://example.com/x') });
  const dc = await waitStatus(q, rc.id, [DeliveryStatus.Failed]);
  t.equal(dc.lastError?.code, 'url_invalid');
  t.equal(dc.attempts, 0);
  t.equal(srv.requests.length, 0, 'nothing reached the receiver');
});

t.test('a name is connected to the address that was checked (no second DNS lookup)', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  let lookups = 0;
  const q = await startQueue(testConfig(spool), {
    resolve: async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 }];
    },
  });
  t.teardown(() => q.close());
  const a = await makeRecording(src, 2000);
  const ra = await q.enqueue({ filePath: a.path, meta: meta(`http://recordings.invalid:${srv.port}/up`) });
  await waitStatus(q, ra.id, [DeliveryStatus.Uploaded]);
  t.equal(lookups, 1);
  t.equal(srv.delivered()[0].headers.host, `recordings.invalid:${srv.port}`, 'Host header keeps the name');
});

t.test('horizon reached: kept on disk, listed as failed, webhook told', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const hook = await UploadServer.start();
  t.teardown(() => hook.close());
  srv.failNext(1000, 503);
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { horizonMs: 300, webhookUrl: `${hook.url}/hook` }));
  t.teardown(() => q.close());
  const a = await makeRecording(src, 4000);
  const ra = await q.enqueue({ filePath: a.path, meta: meta(`${srv.url}/x`) });
  const da = await waitStatus(q, ra.id, [DeliveryStatus.Failed]);
  t.equal(da.lastError?.code, 'horizon_reached');
  t.match(da.lastError?.message, /HTTP 503/);
  t.ok(da.attempts >= 2);
  t.ok(da.fileKept);
  const kept = join(spool, 'files', da.file as string);
  t.ok(readFileSync(kept).equals(a.bytes), 'file kept whole in the spool');
  t.same(q.list({ status: DeliveryStatus.Failed }).map((r) => r.id), [ra.id]);
  t.same(q.depth(), { pending: 0, uploading: 0, failed: 1 });
  await hook.waitFor(() => hook.delivered().length === 1, 5000, 'webhook');
  const note = JSON.parse(hook.delivered()[0].body.toString()) as { event: string; recording: { id: string; status: string } };
  t.equal(note.event, 'recording.failed');
  t.equal(note.recording.id, ra.id);
  t.equal(note.recording.status, 'failed');

  // An operator requeues it once the receiver is fixed: delivered, then the file goes.
  srv.reset();
  await q.requeue(ra.id);
  const again = await waitStatus(q, ra.id, [DeliveryStatus.Uploaded]);
  t.ok(srv.delivered()[0].body.equals(a.bytes));
  t.equal(again.attempts, da.attempts + 1);
  await srv.waitFor(() => readdirSync(join(spool, 'files')).length === 0, 5000, 'spool file removed after the upload');
  t.same(readdirSync(join(spool, 'files')), []);
  await hook.waitFor(() => hook.delivered().length === 2, 5000, 'second webhook');
  t.equal((JSON.parse(hook.delivered()[1].body.toString()) as { event: string }).event, 'recording.uploaded');
});

t.test('restart replays the spool: queued while down, delivered by the next process', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  await srv.down();
  const { spool, src } = await workDirs();
  const cfg = testConfig(spool, { backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
  const q1 = await startQueue(cfg);
  const a = await makeRecording(src, 50_000);
  const ra = await q1.enqueue({ filePath: a.path, meta: meta(`${srv.url}/x`) });
  await waitStatus(q1, ra.id, [DeliveryStatus.Pending], 5000);
  await new Promise((r) => setTimeout(r, 100));
  await q1.close();
  await srv.up();
  const q2 = await startQueue(testConfig(spool, { backoffBaseMs: 20, backoffMaxMs: 20 }));
  t.teardown(() => q2.close());
  t.equal(q2.get(ra.id)?.status === DeliveryStatus.Pending || q2.get(ra.id)?.status === DeliveryStatus.Uploading, true, 'replayed as pending');
  await waitStatus(q2, ra.id, [DeliveryStatus.Uploaded]);
  t.ok(srv.delivered()[0].body.equals(a.bytes));
});

t.test('uploads in flight never exceed the configured concurrency', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { concurrency: 2 }));
  t.teardown(() => q.close());
  srv.delayNext(150, 150, 150, 150, 150, 150);
  const recs: DeliveryRecord[] = [];
  for (let i = 0; i < 6; i++) recs.push(await q.enqueue({ filePath: (await makeRecording(src, 5000)).path, meta: meta(`${srv.url}/c`) }));
  for (const r of recs) await waitStatus(q, r.id, [DeliveryStatus.Uploaded]);
  t.equal(srv.delivered().length, 6);
  t.equal(srv.peakConcurrent, 2, 'two at a time, not more');
});
