import t, { type Test } from 'tap';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { DEFAULT_CIPHERS, SipRequest, SipStack, createResponse, newCallId, newTag, parseVia, type SipResponse, type TlsSettings, type TlsFailureReason } from '../../../../src/engine/sip';
import { makePki, type TestPki } from '../../../helpers/certs';
import { freePorts } from '../../../helpers/ports';
import { T, delay, onceWithin } from './fixtures/peer';

const LIMITS = { maxMessageBytes: 65535, maxHeaders: 64 };
const pki: TestPki = makePki();
t.teardown(() => pki.cleanup());

function options(uri: string): SipRequest {
  return new SipRequest('OPTIONS', uri, [['From', `<sip:b@x>;tag=${newTag()}`], ['To', '<sip:a@x>'], ['Call-ID', newCallId()], ['CSeq', '1 OPTIONS']]);
}

async function tlsStack(t: Test, tls: Partial<TlsSettings> = {}): Promise<{ stack: SipStack; port: number }> {
  const [udp, port] = await freePorts(2);
  const stack = new SipStack({
    listen: [{ host: '127.0.0.1', port: udp, transports: ['udp'] }], ...T, ...LIMITS,
    tls: {
      host: '127.0.0.1', port, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert,
      requireClientCert: false, minVersion: 'TLSv1.2', ciphers: DEFAULT_CIPHERS, handshakeTimeoutMs: 2000, ...tls,
    },
  });
  await stack.start();
  t.teardown(() => stack.close());
  stack.on('request', (req, _ctx, tx) => tx?.respond(createResponse(req, 200)));
  return { stack, port };
}

async function failure(stack: SipStack, reason: TlsFailureReason, ms = 5000): Promise<void> {
  for (let i = 0; i < ms / 50 && stack.stats().tlsHandshakeFailures[reason] === 0; i++) await delay(50);
  if (stack.stats().tlsHandshakeFailures[reason] === 0) throw new Error(`no ${reason} failure; stats ${JSON.stringify(stack.stats().tlsHandshakeFailures)}`);
}

/** A raw TLS client; resolves with the socket once secure, or with the error. */
function rawTls(port: number, o: ConnectionOptions): Promise<TLSSocket | Error> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(pki.caCert), ...o });
    const timer = setTimeout(() => { s.destroy(); resolve(new Error('timeout')); }, 5000);
    s.once('secureConnect', () => { clearTimeout(timer); resolve(s); });
    s.once('error', (err) => { clearTimeout(timer); resolve(err); });
  });
}

t.test('sips: and transport=tls: TLS Via, one connection reused both ways (responses and requests back to the peer)', async (t) => {
  const a = await tlsStack(t);
  const b = await tlsStack(t);
  const seen: string[] = [];
  a.stack.on('request', (req, ctx) => seen.push(`${ctx.source.transport}:${ctx.source.port}:${req.headers.get('via')}`));
  for (const uri of [`sips:a@127.0.0.1:${a.port}`, `sip:a@127.0.0.1:${a.port};transport=tls`, `sips:a@127.0.0.1:${a.port}`]) {
    const [res] = await onceWithin<[SipResponse]>(b.stack.sendRequest(options(uri)), 'response');
    t.equal(res.status, 200, uri);
  }
  t.equal(new Set(seen.map((s) => s.split(':')[1])).size, 1, 'one connection for three requests');
  t.match(seen[0], /^tls:\d+:SIP\/2\.0\/TLS 127\.0\.0\.1:/);
  t.equal(parseVia(seen[0].split(':').slice(2).join(':'))?.port, b.port, 'Via names the TLS listener');
  t.equal(a.stack.stats().tcpConnections, 1);
  // A -> B at B's Via sent-by (its listener): goes on the connection B opened (RFC 5923 reuse).
  const [res] = await onceWithin<[SipResponse]>(a.stack.sendRequest(options(`sip:b@127.0.0.1:${b.port};transport=tls`)), 'response');
  t.equal(res.status, 200);
  t.equal(a.stack.stats().tcpConnections, 1, 'no second connection from A');
  t.equal(b.stack.stats().tcpConnections, 1, 'no connection accepted by B');
  t.same(a.stack.stats().tlsHandshakeFailures.other, 0);
});

t.test('downgrade attempts fail the handshake with a reason, and the listener keeps serving', async (t) => {
  const a = await tlsStack(t);
  // Plain TCP speaking SIP to the TLS port.
  const plain = tcpConnect(a.port, '127.0.0.1');
  plain.on('error', () => undefined);
  plain.write(`OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n`);
  await onceWithin(plain, 'close');
  await failure(a.stack, 'not_tls');
  // TLS 1.1 (RFC 8996): refused even when the client's OpenSSL would allow it.
  const old = await rawTls(a.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  t.ok(old instanceof Error, 'TLS 1.1 refused');
  await failure(a.stack, 'protocol_version');
  // Only CBC suites with static RSA key exchange offered: no shared cipher.
  const weak = await rawTls(a.port, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA:DES-CBC3-SHA' });
  t.ok(weak instanceof Error, 'weak ciphers refused');
  await failure(a.stack, 'no_shared_cipher');
  // A modern client still gets in.
  const good = await rawTls(a.port, { maxVersion: 'TLSv1.2' });
  t.notOk(good instanceof Error, 'TLS 1.2 with AEAD accepted');
  if (!(good instanceof Error)) { t.match(good.getCipher().name, /GCM|CHACHA/); good.destroy(); }
});

t.test('an expired server certificate: the connecting side fails with cert_expired, the request with a transport error', async (t) => {
  const a = await tlsStack(t, { certFile: pki.expiredCert, keyFile: pki.expiredKey });
  const b = await tlsStack(t);
  const tx = b.stack.sendRequest(options(`sips:a@127.0.0.1:${a.port}`));
  await onceWithin(tx, 'transportError');
  await failure(b.stack, 'cert_expired');
  const direct = await rawTls(a.port, {});
  t.match(String(direct), /expired/);
});

t.test('client certificates: required and checked against clientCaFile', async (t) => {
  const a = await tlsStack(t, { clientCaFile: pki.caCert, requireClientCert: true });
  const none = await rawTls(a.port, {});
  // TLS 1.3 reports a missing client certificate after the client's Finished: wait for the close.
  if (!(none instanceof Error)) await onceWithin(none, 'close').catch(() => undefined);
  await failure(a.stack, 'no_client_cert');
  const rogue = await rawTls(a.port, { cert: readFileSync(pki.rogueCert), key: readFileSync(pki.rogueKey) });
  if (!(rogue instanceof Error)) await onceWithin(rogue, 'close').catch(() => undefined);
  await failure(a.stack, 'bad_certificate');
  // A stack presenting a certificate of the trusted CA gets through.
  const b = await tlsStack(t, { certFile: pki.clientCert, keyFile: pki.clientKey });
  const [res] = await onceWithin<[SipResponse]>(b.stack.sendRequest(options(`sips:a@127.0.0.1:${a.port}`)), 'response');
  t.equal(res.status, 200);
});

t.test('reloadTls: new handshakes get the new certificate; a bad key keeps the old one', async (t) => {
  const cert = join(pki.dir, 'live.pem');
  const key = join(pki.dir, 'live.key');
  copyFileSync(pki.serverCert, cert);
  copyFileSync(pki.serverKey, key);
  const a = await tlsStack(t, { certFile: cert, keyFile: key });
  const cn = async (): Promise<string> => {
    const s = await rawTls(a.port, {});
    if (s instanceof Error) throw s;
    const subject = String(s.getPeerCertificate().subject.CN);
    s.destroy();
    return subject;
  };
  t.equal(await cn(), 'b2bua.test');
  copyFileSync(pki.server2Cert, cert);
  copyFileSync(pki.server2Key, key);
  t.match(a.stack.reloadTls(), { subject: /b2bua-reloaded\.test/ });
  t.equal(await cn(), 'b2bua-reloaded.test');
  copyFileSync(pki.serverKey, key); // key of another certificate
  t.throws(() => a.stack.reloadTls(), { code: 'ERR_SIP_TLS_CONFIG' });
  t.equal(await cn(), 'b2bua-reloaded.test', 'still serving the last good pair');
});

t.test('connection aliases: the first peer naming a host:port keeps it; a second one on the same IP cannot take it over', async (t) => {
  const a = await tlsStack(t);
  const [aliasPort] = await freePorts(1);
  const peer = async (tag: string): Promise<{ socket: TLSSocket; got: () => string }> => {
    const s = await rawTls(a.port, {});
    if (s instanceof Error) throw s;
    let text = '';
    s.on('data', (d: Buffer) => { text += d.toString(); });
    s.write([
      `OPTIONS sip:a@127.0.0.1:${a.port};transport=tls SIP/2.0`,
      `Via: SIP/2.0/TLS 127.0.0.1:${aliasPort};branch=z9hG4bK${tag}`,
      `From: <sip:${tag}@x>;tag=${tag}`, 'To: <sip:a@x>', `Call-ID: ${tag}`, 'CSeq: 1 OPTIONS',
      `Contact: <sip:${tag}@127.0.0.1:${aliasPort};transport=tls>`, 'Content-Length: 0', '', '',
    ].join('\r\n'));
    for (let i = 0; i < 100 && !text.includes('200 OK'); i++) await delay(20);
    return { socket: s, got: () => text };
  };
  const first = await peer('first');
  const second = await peer('second');
  t.teardown(() => { first.socket.destroy(); second.socket.destroy(); });
  a.stack.sendRequest(options(`sip:x@127.0.0.1:${aliasPort};transport=tls`)).on('transportError', () => undefined);
  for (let i = 0; i < 100 && !first.got().includes('OPTIONS sip:x@'); i++) await delay(20);
  t.match(first.got(), /OPTIONS sip:x@127\.0\.0\.1/, 'the request went on the first connection');
  t.notMatch(second.got(), /OPTIONS sip:x@/, 'not on the second');
});
