/**
 * Recordings to an S3-compatible bucket through the durable queue, against a real server (moto,
 * with signature checking on): single PUT and multipart, the plaintext of a spool file encrypted
 * at rest, object metadata; a wrong secret is refused by the server; an endpoint on a denied
 * network is refused before any connection; the secret never reaches a record or the log.
 */
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createHash } from 'node:crypto';
import { openStore, type DocumentStore } from '../../../src/store';
import { s3CredentialsOf } from '../../../src/storage/credentials';
import { s3Request, type S3Target } from '../../../src/storage/s3/client';
import { NetworkPolicy } from '../../../src/delivery/netpolicy';
import { DeliveryStatus } from '../../../src/delivery';
import { S3_SECRET_FIELD } from '../../../src/storage/account-storage';
import { startMoto, type MotoS3 } from '../../helpers/s3';
import { keyFiles, keyRing } from '../../helpers/atrest';
import { makeRecording, meta, startQueue, testConfig, waitStatus, workDirs } from '../delivery/common';

const MiB = 1024 * 1024;
const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();
let moto: MotoS3;
let store: DocumentStore;
const loopback = new NetworkPolicy(['127.0.0.0/8'], []);

t.before(async () => {
  moto = await startMoto();
  store = await openStore({ driver: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 's3-')), 'store.sqlite') } as never);
});
t.teardown(async () => {
  await moto?.close();
  await store?.close();
});

const target = (secret = moto.secretAccessKey): S3Target => ({ endpoint: moto.endpoint, region: 'us-east-1', accessKeyId: moto.accessKeyId, secretAccessKey: secret, pathStyle: true });
const opts = { policy: loopback, connectTimeoutMs: 5000, transferTimeoutMs: 10_000 };

async function account(secret: string): Promise<string> {
  const a = await store.createAccount(null, {
    name: `s3-${Math.random()}`, storage: { s3: { endpoint: moto.endpoint, region: 'us-east-1', access_key_id: moto.accessKeyId, path_style: true } }, [S3_SECRET_FIELD]: secret,
  });
  return a._id;
}

t.test('the server checks signatures: a wrong secret is refused', async (t) => {
  const ok = await s3Request(target(), opts, 'PUT', 'recordings', '', [], {}, Buffer.alloc(0));
  t.equal(ok.status, 200, 'bucket created with the right key');
  const bad = await s3Request(target('not-the-secret'), opts, 'PUT', 'recordings', 'x.txt', [], {}, Buffer.from('x'));
  t.equal(bad.status, 403, 'refused with a wrong secret');
  t.match(bad.body, /SignatureDoesNotMatch/);
});

t.test('single PUT and multipart through the queue, decrypted from the encrypted spool, with metadata', async (t) => {
  const { spool, src } = await workDirs();
  const acct = await account(moto.secretAccessKey);
  const logs: string[] = [];
  const q = await startQueue(testConfig(spool), {
    keys: keyRing(keyFiles(['k1']).sources, 'k1'), logger: pino({ level: 'debug' }, { write: (l: string) => logs.push(l) }),
    s3: { credentials: (id) => s3CredentialsOf(store, id), partSize: 5 * MiB, multipartThreshold: 6 * MiB }, sidecar: async () => true,
  });
  t.teardown(() => q.close());
  const small = await makeRecording(src, 300_000);
  const big = await makeRecording(src, 11 * MiB + 123);
  const r1 = await q.enqueue({ filePath: small.path, meta: meta('s3://recordings/acme/2026', { accountId: acct }) });
  const r2 = await q.enqueue({ filePath: big.path, meta: meta('s3://recordings', { accountId: acct, format: 'wav' }) });
  t.match(r1.targetUrl, /^s3:\/\/recordings\/acme\/2026\/call_recording_call-[0-9a-f]+_10\.0\.0\.1\.mp3$/, 'key: prefix and the Kazoo name, unreserved characters only');
  await waitStatus(q, r1.id, [DeliveryStatus.Uploaded], 30_000).catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(q.get(r1.id)?.lastError)}`); });
  await waitStatus(q, r2.id, [DeliveryStatus.Uploaded], 60_000);
  const key1 = r1.targetUrl.replace('s3://recordings/', '');
  const got1 = await s3Request(target(), opts, 'GET', 'recordings', key1, [], {}, Buffer.alloc(0));
  t.equal(got1.status, 200);
  t.equal(got1.headers['x-amz-meta-call-id'], r1.meta.callId, 'object metadata');
  t.equal(got1.headers['x-amz-meta-recording-id'], r1.id);
  t.equal(got1.headers['content-type'], 'audio/mpeg');
  t.equal(Number(got1.headers['content-length']), small.bytes.length, 'plaintext size stored');
  t.equal(got1.headers.etag, `"${md5(small.bytes).toString('hex')}"`, 'the stored bytes are the plaintext (ETag = MD5)');
  const side = await s3Request(target(), opts, 'GET', 'recordings', key1.replace(/\.mp3$/, '.json'), [], {}, Buffer.alloc(0));
  t.equal(side.status, 200, 'sidecar object next to the recording');
  t.match(JSON.parse(side.body), { recording_id: r1.id, call_id: r1.meta.callId, duration_ms: 12_000 });
  const key2 = r2.targetUrl.replace('s3://recordings/', '');
  const head2 = await s3Request(target(), opts, 'HEAD', 'recordings', key2, [], {}, Buffer.alloc(0));
  t.equal(Number(head2.headers['content-length']), big.bytes.length, 'multipart object complete');
  // A multipart ETag is the MD5 of the parts' MD5s, then "-<parts>".
  const parts = [0, 1, 2].map((k) => md5(big.bytes.subarray(k * 5 * MiB, (k + 1) * 5 * MiB)));
  t.equal(head2.headers.etag, `"${md5(Buffer.concat(parts)).toString('hex')}-3"`, 'three 5 MiB parts holding the plaintext');
  t.notOk(logs.join('').includes(moto.secretAccessKey), 'no secret in the log');
  t.notOk(JSON.stringify(q.list()).includes(moto.secretAccessKey), 'no secret in the records');
});

t.test('a wrong secret fails the upload; a bucket on a denied network is refused', async (t) => {
  const { spool, src } = await workDirs();
  const acct = await account('wrong-secret-value');
  const q = await startQueue(testConfig(spool, { horizonMs: 300, backoffBaseMs: 50, backoffMaxMs: 50 }), {
    s3: { credentials: (id) => s3CredentialsOf(store, id), partSize: 5 * MiB, multipartThreshold: 6 * MiB },
  });
  t.teardown(() => q.close());
  const f = await makeRecording(src, 1000);
  const r = await q.enqueue({ filePath: f.path, meta: meta('s3://recordings/x', { accountId: acct }) });
  const failed = await waitStatus(q, r.id, [DeliveryStatus.Failed], 20_000);
  t.match(failed.lastError?.message, /403: SignatureDoesNotMatch/, 'the server refused the signature');
  t.notOk(JSON.stringify(failed).includes('wrong-secret-value'));

  const { spool: spool2 } = await workDirs();
  const denied = await startQueue(testConfig(spool2, { allow: [] }), {
    s3: { credentials: (id) => s3CredentialsOf(store, id), partSize: 5 * MiB, multipartThreshold: 6 * MiB },
  });
  t.teardown(() => denied.close());
  const good = await account(moto.secretAccessKey);
  const f2 = await makeRecording(src, 1000);
  const r2 = await denied.enqueue({ filePath: f2.path, meta: meta('s3://recordings/x', { accountId: good }) });
  const refused = await waitStatus(denied, r2.id, [DeliveryStatus.Failed], 10_000);
  t.equal(refused.lastError?.code, 'url_refused', 'loopback endpoint refused by the network policy');
});
