import t from 'tap';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { UploadServer } from '../../helpers/upload-server';
import { keyFiles, keyRing } from '../../helpers/atrest';
import { DeliveryStatus } from '../../../src/delivery';
import { looksEncrypted, parseHeader } from '../../../src/atrest/framing';
import { makeRecording, meta, startQueue, testConfig, waitStatus, workDirs } from './common';

const { sources, secrets } = keyFiles(['k1', 'k2']);

function spoolFile(spool: string, id: string): string {
  return join(spool, 'files', readdirSync(join(spool, 'files')).find((n) => n.startsWith(id)) as string);
}

t.test('a plain file is encrypted into the spool and uploaded decrypted, with the plaintext length', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  srv.failNext(1, 503); // the first attempt fails, so the file can be looked at in the spool
  const q = await startQueue(testConfig(spool, { backoffBaseMs: 300, backoffMaxMs: 300 }), { keys: keyRing(sources, 'k1'), rand: () => 1 });
  t.teardown(() => q.close());
  const rec = await makeRecording(src, 200_001);
  const r = await q.enqueue({ filePath: rec.path, meta: meta(`${srv.url}/up`) });
  t.equal(r.keyId, 'k1', 'record names the key');
  const onDisk = readFileSync(spoolFile(spool, r.id));
  t.ok(looksEncrypted(onDisk), 'spool file starts with the encrypted-file magic');
  t.equal(onDisk.indexOf(rec.bytes.subarray(1000, 1032)), -1, 'no plaintext run in the spool file');
  await waitStatus(q, r.id, [DeliveryStatus.Uploaded]);
  const got = srv.delivered().find((x) => x.complete && x.status === 200);
  t.ok(got?.body.equals(rec.bytes), 'the receiver got the plaintext');
  t.equal(got?.headers['content-length'], '200001');
});

t.test('rotation: new files use the active key, old ones stay readable; a removed key keeps its files', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  srv.failNext(100, 503);
  const q1 = await startQueue(testConfig(spool), { keys: keyRing(sources, 'k1') });
  const old = await makeRecording(src, 50_000);
  const r1 = await q1.enqueue({ filePath: old.path, meta: meta(`${srv.url}/up`) });
  await q1.close();
  srv.reset();

  // Only k2 configured: the k1 record and file cannot be read; both are kept (not deleted), and
  // the record is said to be unreadable.
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
  const q2 = await startQueue(testConfig(spool), { keys: keyRing(sources.filter((s) => s.id === 'k2'), 'k2'), logger });
  t.equal(q2.get(r1.id), undefined, 'the k1 record is not loaded without k1');
  t.ok(lines.some((l) => l.includes('unreadable queue record kept aside') && l.includes('k1 is not configured')), 'and the log says which key is missing');
  t.ok(existsSync(spoolFile(spool, r1.id)), 'file kept for when the key is configured again');
  const sealedMeta = readFileSync(join(spool, 'meta', `${r1.id}.json`));
  t.equal(parseHeader(sealedMeta)?.header.keyId, 'k1', 'the record itself is sealed on disk, with the key of its time');
  t.equal(sealedMeta.indexOf(Buffer.from(srv.url)), -1, 'its upload URL is not readable in it');
  await q2.close();

  const q3 = await startQueue(testConfig(spool), { keys: keyRing(sources, 'k2') });
  t.teardown(() => q3.close());
  const metaHeader = readFileSync(join(spool, 'meta', `${r1.id}.json`));
  t.equal(parseHeader(metaHeader)?.header.keyId, 'k2', 'the old record is sealed again with the active key on load');
  const fresh = await makeRecording(src, 50_000);
  const r2 = await q3.enqueue({ filePath: fresh.path, meta: meta(`${srv.url}/up`) });
  t.equal(r2.keyId, 'k2', 'new file sealed with the active key');
  await waitStatus(q3, r1.id, [DeliveryStatus.Uploaded]);
  await waitStatus(q3, r2.id, [DeliveryStatus.Uploaded]);
  const bodies = srv.delivered().filter((x) => x.status === 200).map((x) => x.body);
  t.ok(bodies.some((b) => b.equals(old.bytes)), 'old (k1) file delivered');
  t.ok(bodies.some((b) => b.equals(fresh.bytes)), 'new (k2) file delivered');
});

t.test('a tampered spool file is quarantined, reported and never sent', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
  srv.failNext(1, 503);
  const q = await startQueue(testConfig(spool, { backoffBaseMs: 400, backoffMaxMs: 400 }), { keys: keyRing(sources, 'k1'), logger, rand: () => 1 });
  t.teardown(() => q.close());
  const quarantined: string[] = [];
  q.on('quarantined', (e) => quarantined.push(e.reason));
  // Large enough that a stream would have sent its first chunks before reaching the bad one.
  const rec = await makeRecording(src, 1_500_000);
  const r = await q.enqueue({ filePath: rec.path, meta: meta(`${srv.url}/up`) });
  await srv.waitFor(() => srv.requests.length === 1 && srv.requests[0].status === 503, 10_000, 'the first attempt (503)');
  const path = spoolFile(spool, r.id);
  const b = readFileSync(path);
  b[b.length - 5000] ^= 0x20; // one bit in the last chunks
  writeFileSync(path, b);
  const f = await waitStatus(q, r.id, [DeliveryStatus.Failed]);
  t.equal(f.lastError?.code, 'file_tampered');
  t.same(quarantined, ['auth_failed'], 'quarantined event (metric) with the reason');
  t.notOk(existsSync(path), 'moved out of files/');
  t.ok(existsSync(join(spool, 'quarantine', path.split('/').pop() as string)), 'into quarantine/');
  t.equal(srv.delivered().filter((x) => x.status === 200).length, 0, 'nothing was sent after the tampering');
  t.equal(srv.requests.length, 1, 'only the attempt before the tampering reached the server (the file is authenticated whole before sending)');
  const log = lines.join('');
  t.match(log, /failed authentication: quarantined, not sent/);
  for (const s of Object.values(secrets)) t.notOk(log.includes(s), 'no key in the log');
});
