/**
 * Phones on TLS (RFC 3261 26) with and without SRTP (SDES, RFC 4568), real baresip phones
 * checking the product's certificate against the test CA: they register and call over TLS,
 * requests to them reuse their registration's connection, and the recordings of SRTP calls
 * hold both tones (the recorder's fork is plain RTP decrypted by rtpengine).
 */
import t from 'tap';
import { Baresip, type BaresipOptions } from '../../helpers/baresip';
import { makePki } from '../../helpers/certs';
import { freePort } from '../../helpers/ports';
import type { TestService } from '../../helpers/service';
import type { UploadServer } from '../../helpers/upload-server';
import { bothTones, phoneCall } from './phone-call';
import { CALLEE_TONE, CALLER_TONE, REALM, decodeBody, recordingDocOf, setRecording, startRecordingEnv, uploadsOf, type RecordingEnv, type World } from './setup';

const pki = makePki();
let env: RecordingEnv | undefined;
let svc: TestService;
let upload: UploadServer;
let w: World;
let tlsPort: number;
const phones: Baresip[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.before(async () => {
  tlsPort = await freePort();
  env = await startRecordingEnv({
    config: { engine: { sip: { tls: { host: '127.0.0.1', port: tlsPort, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert } } } },
  });
  ({ svc, upload, w } = env);
  await setRecording(svc, 'accounts', w.accountId, {
    account: { inbound: { onnet: { enabled: true, url: `${upload.url}/tls`, record_on_answer: true } }, outbound: { offnet: { enabled: true, url: `${upload.url}/tls`, record_on_answer: true } } },
  });
});
t.teardown(async () => {
  await Promise.allSettled(phones.map((p) => p.close()));
  await env?.close();
  pki.cleanup();
});

async function phone(user: string, toneHz: number, extra: Partial<BaresipOptions> = {}): Promise<Baresip> {
  const p = await Baresip.start({
    user, realm: REALM, password: `pw-${user}`, proxy: `127.0.0.1:${tlsPort}`, transport: 'tls', caFile: pki.caCert, toneHz, ...extra,
  });
  phones.push(p);
  return p;
}

async function closePhones(): Promise<void> {
  await Promise.allSettled(phones.splice(0).map((p) => p.close()));
}

t.test('two phones register and call over TLS; the callee is reached on its registration connection; recorded whole', async (t) => {
  const callee = await phone('2001', CALLEE_TONE, { autoAnswer: true });
  const caller = await phone('1001', CALLER_TONE);
  t.teardown(closePhones);
  const before = svc.service.engine?.sip.stats().tcpConnections;
  t.equal(before, 2, 'one TLS connection per phone');
  const run = await phoneCall(svc, caller, callee, () => sleep(3000));
  t.equal(svc.service.engine?.sip.stats().tcpConnections, 2, 'no new connection for the INVITE to the callee or the BYEs');
  const [up] = await uploadsOf(upload, run.call.callId);
  bothTones(t, decodeBody(up.body, 'mp3'));
  const doc = await recordingDocOf(svc, w.accountId, run.call.callId, 'uploaded');
  t.equal(doc.media_status, 'complete', `media check: ${String(doc.media_error)}`);
});
