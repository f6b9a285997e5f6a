/**
 * record_caller followed by a routing module (record_caller -> device), as Kazoo's
 * cf_record_caller runs it: the caller is answered at once, the caller alone is recorded from
 * that answer (mono) until # , and only then does the callflow continue: the callee is rung,
 * answers, and the call is bridged through rtpengine with the caller's session unchanged.
 *
 * SIPp phone 1001 calls 3010 and plays a pcap (1.5 s of 1 kHz, # as RFC 4733, 3 s more of tone)
 * to the address in the service's 200; phone 2001 (SIPp) rings 1 s and answers; the caller hangs
 * up 5 s after its ACK. Real rtpengine, real upload server; the uploaded WAV is decoded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createSocket } from 'node:dgram';
import { writeToneKeyPcap, writeTonePcap } from '../../helpers/pcap';
import { freePort } from '../../helpers/ports';
import type { TestService } from '../../helpers/service';
import { SCENARIO_DIR } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { answerOn, callFrom, ended, nextCall, registerPhone } from '../calls/setup';
import { goertzel, toneSpan } from './media';
import {
  CALLEE_TONE, CALLER_TONE, apiClient, decodeBody, uploadsOf, type World, recordingSuite,
} from './setup';

let svc: TestService;
let upload: UploadServer;
let w: World;
let dir: string;

/** Tone packets before #, and after it; the # takes 5 update packets before its end packet. */
const BEFORE = 75;
const AFTER = 150;

recordingSuite(t, 'rec-caller-first-', async (s) => {
  ({ svc, upload, w, dir } = s);
  await svc.store.create('callflows', w.accountId, {
    numbers: ['3010'],
    flow: {
      module: 'record_caller', data: { url: `${upload.url}/first`, format: 'wav', time_limit: 30 },
      children: { _: { module: 'device', data: { id: w.calleeDevice } } },
    },
  });
});

/**
 * The greeting scenario up to its pcap, then: wait `holdMs` (the callee is rung and talks
 * meanwhile), BYE, 200.
 */
function callerScenario(pcap: string, holdMs: number): string {
  const base = readFileSync(join(SCENARIO_DIR, 'rec-phone-record-caller.xml'), 'utf8').replace(/@PCAP@/g, pcap);
  const cut = base.indexOf('<recv request="BYE"/>');
  if (cut < 0) throw new Error('rec-phone-record-caller.xml changed shape');
  const tail = `<pause milliseconds="${holdMs}"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[field3]@[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "[field0]" <sip:[field0]@[field1]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
`;
  const out = join(dir, `first-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(out, base.slice(0, cut) + tail);
  return out;
}

t.test('answered first, the caller alone recorded until #, then the device is rung and bridged', async (t) => {
  const pcap = join(dir, 'greeting.pcap');
  writeToneKeyPcap(pcap, { freq: CALLER_TONE, before: BEFORE, event: 11, after: AFTER, ssrc: 0x6161 });
  const callee = await registerPhone(svc, '2001');
  const caller = await registerPhone(svc, '1001');
  caller.rtp.close();
  try {
    const uas = answerOn(callee.port, 'rec-phone-answer.xml', callee.rtp.port);
    const callP = nextCall(svc);
    const uac = callFrom(svc, callerScenario(pcap, 5000), { user: '1001', number: '3010', rtpPort: await freePort(), port: await freePort() });
    const call = await callP;
    const tCall = performance.now();
    let tAnswered = 0;
    let callerUpAtAnswer = false;
    let bridgedSeen = false;
    call.once('answered', () => {
      tAnswered = performance.now();
      callerUpAtAnswer = call.uas !== undefined;
    });
    call.once('bridged', () => { bridgedSeen = true; });
    const [rc, rs] = await Promise.all([uac, uas.done]);
    await ended(call);
    t.equal(rc.code, 0, `caller: answered at once, hung up itself ${rc.errors}`);
    t.equal(rs.code, 0, `callee: rung, answered, got the BYE ${rs.errors}`);
    t.ok(callerUpAtAnswer, 'the caller was answered before the callee answered');
    t.ok(bridgedSeen, 'the call was bridged after the recording');
    t.equal(call.answeredTarget?.deviceId, w.calleeDevice, 'the child (device) was rung');
    // The device is rung only after the greeting: 1.5 s of tone and the # (0.1 s), then 1 s of ringing.
    const toAnswer = (tAnswered - tCall) / 1000;
    t.ok(toAnswer >= 2.5, `callee answered ${toAnswer.toFixed(2)} s after the INVITE (rung after the #)`);

    // The caller's tone after the # went on through rtpengine to the callee.
    const relayed = callee.rtp.received.filter((p) => p.payloadType === 0).length;
    t.ok(relayed >= 50, `the callee received the caller's audio after the bridge (${relayed} PCMU packets)`);

    const [up] = await uploadsOf(upload, call.callId);
    t.equal(decodeURIComponent(up.path), `/first/call_recording_${call.callId}.wav`);
    t.equal(up.method, 'PUT');
    const d = decodeBody(up.body, 'wav');
    t.equal(d.channels, 1, 'mono');
    t.equal(d.sampleRate, 8000, '8 kHz (mono default)');
    // What the caller sent until its # ended: BEFORE tone packets and the key's 5 update packets.
    const sent = (BEFORE + 5) * 0.02;
    t.ok(Math.abs(d.durationSec - sent) <= 0.1, `duration ${d.durationSec.toFixed(3)} s within 0.1 s of the ${sent.toFixed(2)} s sent before #`);
    const span = toneSpan(d.ch[0], 8000, CALLER_TONE);
    t.ok(span.firstSec <= 0.1, `the caller's tone from the answer on (first at ${span.firstSec.toFixed(3)} s)`);
    t.ok(span.lastSec - span.firstSec >= 1.4, `the greeting is in the file (${(span.lastSec - span.firstSec).toFixed(3)} s of tone)`);
    t.equal(span.gaps, 0, 'no gap in the caller\'s tone');
    t.ok(goertzel(d.ch[0], 8000, CALLER_TONE) > 20 * goertzel(d.ch[0], 8000, CALLEE_TONE), 'the caller alone');
    await svc.service.recordings?.flush();
    const api = await apiClient(svc);
    const list = (await (await api(`/v2/accounts/${w.accountId}/recordings`)).json() as { data: Array<Record<string, unknown>> }).data;
    t.match(list.find((x) => x.call_id === call.callId), { origin: 'callflow : record_caller', status: 'uploaded', media_type: 'wav' });
  } finally {
    callee.rtp.close();
  }
});

t.test('the caller hangs up during the recording: finalized and delivered, nobody rung', async (t) => {
  const pcap = join(dir, 'hangup.pcap');
  writeTonePcap(pcap, { pt: 0, freq: CALLER_TONE, packets: 150, ssrc: 0x6262 });
  const callee = await registerPhone(svc, '2001');
  callee.rtp.close();
  // Whatever reaches the callee's registered SIP address would be an INVITE: there must be none.
  const sip = createSocket('udp4');
  const seen: Buffer[] = [];
  sip.on('message', (m) => seen.push(m));
  await new Promise<void>((resolve, reject) => {
    sip.once('error', reject);
    sip.bind(callee.port, '127.0.0.1', () => resolve());
  });
  try {
    const callP = nextCall(svc);
    const uac = callFrom(svc, callerScenario(pcap, 1500), { user: '1001', number: '3010', rtpPort: await freePort(), port: await freePort() });
    const call = await callP;
    const rc = await uac;
    await ended(call);
    t.equal(rc.code, 0, `caller: answered, hung up after 1.5 s ${rc.errors}`);
    t.equal(call.end?.by, 'caller', 'ended by the caller');
    t.equal(call.uac, undefined, 'no callee leg');
    const [up] = await uploadsOf(upload, call.callId);
    const d = decodeBody(up.body, 'wav');
    t.equal(d.channels, 1, 'mono');
    t.ok(Math.abs(d.durationSec - 1.5) <= 0.1, `recorded up to the hang-up (${d.durationSec.toFixed(3)} s of ~1.5 s sent)`);
    t.equal(toneSpan(d.ch[0], 8000, CALLER_TONE).gaps, 0, 'no gap in the caller\'s tone');
    t.same(seen.map((m) => m.toString('latin1').split('\r\n')[0]), [], 'the device was never rung');
  } finally {
    sip.close();
  }
});
