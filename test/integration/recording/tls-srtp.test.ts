/**
 * Phones on TLS (RFC 3261 26) with and without SRTP (SDES RFC 4568, DTLS-SRTP RFC 5764), real baresip phones
 * checking the product's certificate against the test CA: they register and call over TLS,
 * requests to them reuse their registration's connection, and the recordings of SRTP calls
 * hold both tones (the recorder's fork is plain RTP decrypted by rtpengine).
 */
import t, { type Test } from 'tap';
import { connect } from 'node:net';
import { Baresip, type BaresipOptions } from '../../helpers/baresip';
import { makePki } from '../../helpers/certs';
import { freePort } from '../../helpers/ports';
import type { TestService } from '../../helpers/service';
import type { UploadServer } from '../../helpers/upload-server';
import { RtpEndpoint } from '../../helpers/rtp';
import { answerOn, bridged, callFrom, csv, ended, nextCall, registerPhone } from '../calls/setup';
import { runSipp } from '../../helpers/sipp';
import { inlineKey, newMasterKey, srtpProtector } from '../../helpers/srtp';
import { offeredProtocol } from '../../../src/media/srtp';
import { bothTones, coverage, phoneCall } from './phone-call';
import { newStream, rtpengineTargets, sendTone } from './media';
import { CALLEE_TONE, CALLER_TONE, CARRIER, REALM, decodeBody, recordingDocOf, setRecording, startRecordingEnv, uploadsOf, type RecordingEnv, type World } from './setup';

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
    account: Object.fromEntries(['inbound', 'outbound'].map((d) => [d, Object.fromEntries(['onnet', 'offnet'].map((n) => [n, { enabled: true, url: `${upload.url}/tls`, record_on_answer: true }]))])),
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

t.test('a plain TCP client on the TLS port: refused, counted in b2bua_sip_tls_handshake_failures_total{reason="not_tls"}, the service unharmed', async (t) => {
  const plain = connect(tlsPort, '127.0.0.1');
  plain.on('error', () => undefined);
  plain.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKp\r\nContent-Length: 0\r\n\r\n');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the TLS port kept a plain TCP client open')), 5000);
    plain.once('close', () => { clearTimeout(timer); resolve(); });
  });
  let metrics = '';
  for (let i = 0; i < 20 && !/b2bua_sip_tls_handshake_failures_total\{reason="not_tls"\} [1-9]/.test(metrics); i++) {
    metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
    await sleep(100);
  }
  t.match(metrics, /b2bua_sip_tls_handshake_failures_total\{reason="not_tls"\} 1\b/);
  t.match(metrics, /b2bua_sip_tls_handshake_failures_total\{reason="protocol_version"\} 0\b/, 'every reason is exported');
  const p = await phone('1001', CALLER_TONE);
  t.teardown(closePhones);
  t.ok(p, 'a phone still registers over TLS afterwards');
});

t.test('an SDES SRTP phone on TLS (srtp-mand) calls a plain-RTP trunk: SRTP on its leg, RTP/AVP to the trunk, both tones recorded', async (t) => {
  const caller = await phone('1001', CALLER_TONE, { mediaenc: 'srtp-mand' });
  t.teardown(closePhones);
  const trunkRtp = await RtpEndpoint.open();
  t.teardown(() => trunkRtp.close());
  const trunk = answerOn(w.carrierPort, 'rec-phone-answer.xml', trunkRtp.port, CARRIER);
  const callP = nextCall(svc);
  caller.dial(`sip:+15550001111@${REALM}`);
  const call = await callP;
  await bridged(call);
  const toTrunkLeg = call.uac?.local.sdp ?? '';
  const toPhone = call.uas?.local.sdp ?? '';
  t.equal(offeredProtocol(toTrunkLeg), 'RTP/AVP', 'the trunk is offered plain RTP');
  t.notMatch(toTrunkLeg, /a=crypto:/, 'no keys toward the trunk');
  t.equal(offeredProtocol(toPhone), 'RTP/SAVP', 'the phone gets SRTP back');
  t.match(toPhone, /a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/, 'with rtpengine\'s own SDES key');
  const ports = await rtpengineTargets(svc, call);
  await sendTone(trunkRtp, ports.toCalleeSide, CALLEE_TONE, 150, newStream(0x3333));
  caller.hangup();
  await ended(call);
  await trunk.done;
  const [up] = await uploadsOf(upload, call.callId);
  const d = decodeBody(up.body, 'mp3');
  const left = coverage(d.ch[0], d.sampleRate, CALLER_TONE, CALLEE_TONE, 0.5, d.durationSec - 0.5);
  const right = coverage(d.ch[1], d.sampleRate, CALLEE_TONE, CALLER_TONE, 0.5, 2.5);
  t.ok(left >= 0.9, `the SRTP phone's 1 kHz, decrypted for the recorder, in ${(left * 100).toFixed(0)}% of the call`);
  t.ok(right >= 0.9, `the trunk's 400 Hz in ${(right * 100).toFixed(0)}% of its 3 s`);
  const doc = await recordingDocOf(svc, w.accountId, call.callId, 'uploaded');
  t.equal(doc.media_status, 'complete', `media check: ${String(doc.media_error)}`);
});

/**
 * The carrier (SIPp, plain RTP, 1 kHz) calls 4420000 -> device 2001, a TLS phone whose device
 * asks for `method` and whose baresip insists on `mediaenc`. Returns the bridged call's SDP
 * protocols and the tone coverage of its recording ([trunk, phone]).
 */
async function trunkCallsEncryptedPhone(t: Test, method: 'srtp' | 'dtls', mediaenc: 'srtp-mand' | 'dtls_srtp', ssrc: number) {
  await svc.store.merge('devices', w.calleeDevice, { media: { encryption: { methods: [method] } } });
  t.teardown(() => svc.store.merge('devices', w.calleeDevice, { media: null }));
  await phone('2001', CALLEE_TONE, { mediaenc, autoAnswer: true });
  t.teardown(closePhones);
  const trunkRtp = await RtpEndpoint.open();
  t.teardown(() => trunkRtp.close());
  const callP = nextCall(svc);
  const trunk = callFrom(svc, 'trunk-call.xml', { user: '15559990000', realm: 'carrier.test', number: '4420000', rtpPort: trunkRtp.port, port: await freePort(CARRIER), host: CARRIER });
  const call = await callP;
  await bridged(call);
  const sdp = { toPhone: call.uac?.local.sdp ?? '', fromPhone: call.uac?.remote.sdp ?? '', toTrunk: call.uas?.local.sdp ?? '' };
  const ports = await rtpengineTargets(svc, call);
  await sendTone(trunkRtp, ports.toCallerSide, CALLER_TONE, 120, newStream(ssrc));
  await trunk;
  await ended(call);
  const [up] = await uploadsOf(upload, call.callId);
  const d = decodeBody(up.body, 'mp3');
  // The phone's media starts after its key exchange (DTLS: a handshake on the media path): from 1 s.
  const tones = [coverage(d.ch[0], d.sampleRate, CALLER_TONE, CALLEE_TONE, 0.5, 2.2), coverage(d.ch[1], d.sampleRate, CALLEE_TONE, CALLER_TONE, 1.0, d.durationSec - 0.3)];
  return { sdp, tones, doc: await recordingDocOf(svc, w.accountId, call.callId, 'uploaded') };
}

t.test('a plain-RTP trunk calls an SRTP-only phone on TLS (device media.encryption.methods ["srtp"]): SRTP toward the phone, recorded whole', async (t) => {
  const { sdp, tones, doc } = await trunkCallsEncryptedPhone(t, 'srtp', 'srtp-mand', 0x4444);
  t.equal(offeredProtocol(sdp.toPhone), 'RTP/SAVP', 'the phone is offered SRTP');
  t.equal(offeredProtocol(sdp.toTrunk), 'RTP/AVP', 'the trunk keeps plain RTP');
  t.ok(tones[0] >= 0.9, `the trunk's 1 kHz in ${(tones[0] * 100).toFixed(0)}% of its tone`);
  t.ok(tones[1] >= 0.9, `the SRTP phone's 400 Hz, decrypted for the recorder, in ${(tones[1] * 100).toFixed(0)}% of the call`);
  t.equal(doc.media_status, 'complete', `media check: ${String(doc.media_error)}`);
});

t.test('DTLS-SRTP: a plain-RTP trunk calls a DTLS-SRTP phone (device methods ["dtls"]): UDP/TLS/RTP/SAVP toward it, recorded whole', async (t) => {
  const { sdp, tones } = await trunkCallsEncryptedPhone(t, 'dtls', 'dtls_srtp', 0x7777);
  t.equal(offeredProtocol(sdp.toPhone), 'UDP/TLS/RTP/SAVP', 'the phone is offered DTLS-SRTP');
  t.match(sdp.toPhone, /a=fingerprint:/, 'with rtpengine\'s certificate fingerprint');
  t.equal(offeredProtocol(sdp.fromPhone), 'UDP/TLS/RTP/SAVP', 'the phone answers DTLS-SRTP');
  t.equal(offeredProtocol(sdp.toTrunk), 'RTP/AVP', 'the trunk keeps plain RTP');
  t.ok(tones[0] >= 0.9, `the trunk's 1 kHz in ${(tones[0] * 100).toFixed(0)}% of its tone`);
  t.ok(tones[1] >= 0.8, `the DTLS-SRTP phone's 400 Hz, decrypted for the recorder, in ${(tones[1] * 100).toFixed(0)}% after the handshake`);
});

/**
 * A SIPp phone offers SDES SRTP with key K and sends a 1 kHz tone protected with `sendKey`;
 * the plain callee sends 400 Hz. Returns the call's recording and its media verdict.
 */
async function srtpSenderCall(t: Test, sendWith: 'offered' | 'other'): Promise<{ d: ReturnType<typeof decodeBody>; doc: Record<string, unknown> }> {
  const callee = await registerPhone(svc, '2001');
  const callerRtp = await RtpEndpoint.open();
  t.teardown(() => { callee.rtp.close(); callerRtp.close(); });
  const offered = newMasterKey();
  const protect = srtpProtector(sendWith === 'offered' ? offered : newMasterKey());
  const uas = answerOn(callee.port, 'rec-phone-answer.xml', callee.rtp.port);
  const callP = nextCall(svc);
  const uac = runSipp({
    scenario: 'rec-phone-call-srtp.xml', remote: svc.sipTarget, localPort: await freePort(), timeoutMs: 30_000,
    args: ['-m', '1', '-inf', csv(['1001', REALM, 'pw-1001', '2000', String(callerRtp.port), inlineKey(offered)]), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  });
  const call = await callP;
  await bridged(call);
  t.equal(offeredProtocol(call.uas?.local.sdp ?? ''), 'RTP/SAVP', 'the SRTP phone is answered with SRTP');
  const ports = await rtpengineTargets(svc, call);
  await Promise.all([
    sendTone(callerRtp, ports.toCallerSide, CALLER_TONE, 150, newStream(0x5555), protect),
    sendTone(callee.rtp, ports.toCalleeSide, CALLEE_TONE, 150, newStream(0x6666)),
  ]);
  await Promise.all([uac, uas.done]);
  await ended(call);
  const [up] = await uploadsOf(upload, call.callId);
  return { d: decodeBody(up.body, 'mp3'), doc: await recordingDocOf(svc, w.accountId, call.callId, 'uploaded') };
}

t.test('SRTP sent with the offered key (control): the tone is decrypted into the recording', async (t) => {
  const { d, doc } = await srtpSenderCall(t, 'offered');
  const left = coverage(d.ch[0], d.sampleRate, CALLER_TONE, CALLEE_TONE, 0.5, 2.5);
  t.ok(left >= 0.9, `caller's 1 kHz in ${(left * 100).toFixed(0)}% of its tone`);
  t.equal(doc.media_status, 'complete', `media check: ${String(doc.media_error)}`);
});

t.test('SRTP sent with a key other than the offered one: nothing of it in the recording, the leg counted undecryptable (srtp_auth)', async (t) => {
  const { d, doc } = await srtpSenderCall(t, 'other');
  const left = coverage(d.ch[0], d.sampleRate, CALLER_TONE, CALLEE_TONE, 0.5, 2.5);
  t.equal(left, 0, 'no trace of the caller\'s tone');
  const quiet = d.ch[0].subarray(Math.floor(0.5 * d.sampleRate), Math.floor(2.5 * d.sampleRate)).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  t.ok(quiet < 500, `the caller's channel is silence, not decrypted-with-the-wrong-key noise (peak ${quiet})`);
  const right = coverage(d.ch[1], d.sampleRate, CALLEE_TONE, CALLER_TONE, 0.5, 2.5);
  t.ok(right >= 0.9, `the plain callee is recorded as usual (${(right * 100).toFixed(0)}%)`);
  t.equal(doc.media_status, 'partial');
  t.match(String(doc.media_error), /^srtp_auth: caller: \d+ SRTP packets failed authentication/);
  const legs = doc.media_legs as Record<string, { undecryptable?: number }>;
  t.ok((legs.caller.undecryptable ?? 0) >= 140, `undecryptable packets counted (${JSON.stringify(legs)})`);
});

