import t from 'tap';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../src/delivery/journal';
import { DeliveryQueue, DeliveryStatus, CidrSyntaxError, type DeliveryRecord } from '../../../src/delivery';
import { parseConfig } from '../../../src/config';

function record(id: string, status: DeliveryStatus): DeliveryRecord {
  return {
    id,
    status,
    meta: { accountId: 'a', callId: 'c', startedAt: 0, durationMs: 1, format: 'wav', url: 'http://x/' },
    cdrId: '197001-c',
    file: `${id}.wav`,
    sourcePath: null,
    size: 1,
    targetUrl: 'http://x/call_recording_c.wav',
    name: 'call_recording_c.wav',
    contentType: 'audio/x-wav',
    attempts: 0,
    lastError: null,
    enqueuedAt: 0,
    horizonFrom: 0,
    updatedAt: 0,
    nextAttemptAt: 0,
    uploadedAt: null,
    httpStatus: null,
    fileKept: true,
  };
}

t.test('journal: writes land in order, leftovers are cleaned, corrupt records reported', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'journal-'));
  const j = new Journal(root);
  await j.open();
  const r = record('202601-aa', DeliveryStatus.Pending);
  // Fired without awaiting in between: the per-record chain must keep the last one.
  const writes = [1, 2, 3, 4, 5].map((n) => j.write({ ...r, attempts: n }));
  await Promise.all(writes);
  const stored = JSON.parse(await readFile(join(root, 'meta', '202601-aa.json'), 'utf8')) as DeliveryRecord;
  t.equal(stored.attempts, 5);
  await writeFile(join(root, 'meta', '202601-bb.json.123.tmp'), '{"half');
  await writeFile(join(root, 'meta', '202601-cc.json'), '{not json');
  const corrupt: string[] = [];
  const all = await j.loadAll((f) => corrupt.push(f));
  t.same(all.map((x) => x.id), ['202601-aa']);
  t.same(corrupt, [join(root, 'meta', '202601-cc.json')]);
  t.same((await readdir(join(root, 'meta'))).sort(), ['202601-aa.json', '202601-cc.json'], 'temp file removed, corrupt one kept');
});

t.test('config: delivery defaults and a bad CIDR stops the queue from being built', (t) => {
  const c = parseConfig({}).delivery;
  t.equal(c.horizonMs, 86_400_000);
  t.equal(c.concurrency, 4);
  t.same(c.allow, []);
  t.equal(c.keepUploaded, false);
  t.equal(c.tls.rejectUnauthorized, true);
  t.throws(() => new DeliveryQueue({ ...c, deny: ['10.0.0.0/40'] }), CidrSyntaxError);
  t.throws(() => parseConfig({ delivery: { concurrency: 0 } }));
  t.end();
});

t.test('queue replay: interrupted attempt back to pending, missing file -> failed, uploaded leftovers removed', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'replay-'));
  const j = new Journal(root);
  await j.open();
  const a = { ...record('202601-a1', DeliveryStatus.Uploading), attempts: 1, enqueuedAt: Date.now(), horizonFrom: Date.now() };
  const b = record('202601-b2', DeliveryStatus.Pending); // its file never made it
  const c = record('202601-c3', DeliveryStatus.Uploaded);
  for (const r of [a, b, c]) await j.write(r);
  await writeFile(j.filePath(a.file as string), 'x');
  await writeFile(j.filePath(c.file as string), 'x');
  const cfg = parseConfig({ delivery: { spoolDir: root, backoffBaseMs: 60_000, horizonMs: 60_000 } }).delivery;
  // The URL host is not resolvable in the test: a1's new attempt fails and is rescheduled far away.
  const q = new DeliveryQueue(cfg, { rand: () => 0.5, resolve: async () => { throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' }); } });
  await q.start();
  t.teardown(() => q.close());
  const b2 = q.get('202601-b2');
  t.equal(b2?.status, DeliveryStatus.Failed);
  t.equal(b2?.lastError?.code, 'file_missing');
  t.same(await readdir(join(root, 'files')), ['202601-a1.wav'], 'uploaded file removed, pending one kept');
  const end = Date.now() + 5000;
  while (q.get('202601-a1')?.attempts !== 2 || q.get('202601-a1')?.status !== DeliveryStatus.Pending) {
    if (Date.now() > end) throw new Error(`a1 not retried: ${JSON.stringify(q.get('202601-a1'))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(q.get('202601-a1')?.lastError?.code, 'dns_failed');
  t.ok((q.get('202601-a1')?.nextAttemptAt ?? 0) > Date.now(), 'rescheduled with backoff');
});
