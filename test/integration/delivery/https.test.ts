import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { UploadServer } from '../../helpers/upload-server';
import { freePort } from '../../helpers/ports';
import { DeliveryStatus } from '../../../src/delivery';
import { makeRecording, meta, startQueue, testConfig, waitStatus, workDirs } from './common';

/** A throw-away self-signed certificate for upload.test and 127.0.0.1 (openssl CLI). */
function makeCert(dir: string): { key: Buffer; cert: Buffer; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=upload.test', '-addext', 'subjectAltName=DNS:upload.test,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

t.test('https upload, certificate checked against the configured CA and the host name', async (t) => {
  const { spool, src } = await workDirs();
  const { key, cert, certFile } = makeCert(src);
  const srv = await UploadServer.start({ tls: { key, cert } });
  t.teardown(() => srv.close());
  const q = await startQueue(testConfig(spool, { tls: { caFile: certFile, rejectUnauthorized: true } }), {
    resolve: async () => [{ address: '127.0.0.1', family: 4 }],
  });
  t.teardown(() => q.close());
  const a = await makeRecording(src, 100_000);
  const ra = await q.enqueue({ filePath: a.path, meta: meta(`https://upload.test:${srv.port}/tls`) });
  await waitStatus(q, ra.id, [DeliveryStatus.Uploaded]);
  t.ok(srv.delivered()[0].body.equals(a.bytes), 'bytes identical over TLS');

  // Without the CA the certificate is not trusted: retried, never accepted.
  const { spool: spool2 } = await workDirs();
  const q2 = await startQueue(testConfig(spool2, { horizonMs: 200 }));
  t.teardown(() => q2.close());
  const b = await makeRecording(src, 1000);
  const rb = await q2.enqueue({ filePath: b.path, meta: meta(`https://127.0.0.1:${srv.port}/tls`) });
  const fb = await waitStatus(q2, rb.id, [DeliveryStatus.Failed]);
  t.equal(fb.lastError?.code, 'horizon_reached');
  t.match(fb.lastError?.message, /connection_failed: .*(self.signed|SELF_SIGNED)/i);
  t.equal(srv.delivered().length, 1, 'untrusted server got nothing');
});

t.test('redirects are followed with the same method and body, and checked by the policy', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { allow: ['127.0.0.1/32'] }));
  t.teardown(() => q.close());

  srv.redirectNext(1, '/moved/here', 307);
  const a = await makeRecording(src, 30_000);
  const ra = await q.enqueue({ filePath: a.path, meta: meta(`${srv.url}/orig`, { method: 'post' }) });
  const da = await waitStatus(q, ra.id, [DeliveryStatus.Uploaded]);
  t.equal(da.attempts, 1, 'one attempt, two requests');
  const got = srv.delivered()[0];
  t.equal(got.method, 'POST');
  t.equal(got.path, '/moved/here');
  t.ok(got.body.equals(a.bytes));

  // A redirect towards a denied address (the metadata service) is refused, not followed.
  srv.redirectNext(1, 'http://169.254.169.254/latest/meta-data/', 302);
  const b = await makeRecording(src, 1000);
  const rb = await q.enqueue({ filePath: b.path, meta: meta(`${srv.url}/orig`) });
  const fb = await waitStatus(q, rb.id, [DeliveryStatus.Failed]);
  t.equal(fb.lastError?.code, 'url_refused');
});

t.test('a TLS handshake that never completes ends in connect_timeout', async (t) => {
  // Accepts TCP and then says nothing: the connection is never established as far as TLS goes.
  const held = new Set<Socket>();
  const mute = createServer((sock) => held.add(sock));
  const mutePort = await freePort();
  await new Promise<void>((r) => mute.listen(mutePort, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of held) s.destroy();
    mute.close();
  });
  const addr = mute.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { connectTimeoutMs: 200, horizonMs: 100 }));
  t.teardown(() => q.close());
  const a = await makeRecording(src, 1000);
  const ra = await q.enqueue({ filePath: a.path, meta: meta(`https://127.0.0.1:${port}/x`) });
  const fa = await waitStatus(q, ra.id, [DeliveryStatus.Failed]);
  t.equal(fa.lastError?.code, 'horizon_reached');
  t.match(fa.lastError?.message, /connect_timeout/);
  t.ok(held.size >= 1, 'the TCP connection was made');
});
