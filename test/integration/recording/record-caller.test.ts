/**
 * record_caller as the last module of a callflow (a voicemail greeting): nobody is called; the
 * service answers the caller itself with the recorder's address in its SDP, records the caller
 * alone (mono 8 kHz WAV here), and hangs up when the caller presses a key (any, as Kazoo's
 * ?ANY_DIGIT; RFC 4733 in the caller's RTP, played by SIPp from a pcap) — or at the time limit
 * (`terminators: ["#"]` there, so a 1 does not end it). Also as voicemail on no answer: a device
 * that answers 486, then the flow's `_` record_caller, ended by a 5. The files are decoded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { freePort } from '../../helpers/ports';
import type { TestService } from '../../helpers/service';
import { SCENARIO_DIR } from '../../helpers/sipp';
import type { ReceivedUpload, UploadServer } from '../../helpers/upload-server';
import { answerOn, callFrom, registerPhone } from '../calls/setup';
import { goertzel, toneSpan } from './media';
import { writeToneKeyPcap } from '../../helpers/pcap';
import {
  CALLER_TONE, apiClient, decodeBody, type World, recordingSuite,
} from './setup';

let svc: TestService;
let upload: UploadServer;
let w: World;
let dir: string;

recordingSuite(t, 'rec-caller-', async (s) => {
  ({ svc, upload, w, dir } = s);
  await svc.store.create('callflows', w.accountId, { numbers: ['3002'], flow: { module: 'record_caller', data: { url: `${upload.url}/greeting`, format: 'wav', time_limit: 20 } } });
  await svc.store.create('callflows', w.accountId, { numbers: ['3003'], flow: { module: 'record_caller', data: { url: `${upload.url}/short`, format: 'wav', time_limit: 2, method: 'post', terminators: ['#'] } } });
  await svc.store.create('callflows', w.accountId, { numbers: ['3004'], flow: {
    module: 'device', data: { id: w.calleeDevice, timeout: 10 },
    children: { _: { module: 'record_caller', data: { url: `${upload.url}/vm`, format: 'wav', time_limit: 20 } } },
  } });
});

function scenarioWith(pcap: string): string {
  const out = join(dir, `rc-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(out, readFileSync(join(SCENARIO_DIR, 'rec-phone-record-caller.xml'), 'utf8').replace(/@PCAP@/g, pcap));
  return out;
}

/** The one upload under `prefix`, decoded: mono 8 kHz, the caller's tone whole. */
async function greetingOf(t: Test, prefix: string): Promise<{ up: ReceivedUpload; d: ReturnType<typeof decodeBody>; span: ReturnType<typeof toneSpan> }> {
  await upload.waitFor(() => upload.delivered().some((u) => u.path.startsWith(prefix)), 20_000, `${prefix} upload`);
  const ups = upload.delivered().filter((u) => u.path.startsWith(prefix));
  t.equal(ups.length, 1, 'one upload');
  const up = ups[0];
  t.match(decodeURIComponent(up.path), new RegExp(`^${prefix}call_recording_.+\\.wav$`));
  const d = decodeBody(up.body, 'wav');
  t.equal(d.channels, 1, 'mono');
  t.equal(d.sampleRate, 8000, '8 kHz');
  const span = toneSpan(d.ch[0], 8000, CALLER_TONE);
  t.equal(span.gaps, 0, 'no gap in the caller\'s tone');
  return { up, d, span };
}

t.test('answered by the service, caller alone, ended by #', async (t) => {
  const pcap = join(dir, 'greeting.pcap');
  writeToneKeyPcap(pcap, { freq: CALLER_TONE, before: 75, event: 11, after: 150, ssrc: 0x5151 });
  const phone = await registerPhone(svc, '1001');
  phone.rtp.close();
  const r = await callFrom(svc, scenarioWith(pcap), { user: '1001', number: '3002', rtpPort: await freePort(), port: await freePort() });
  t.equal(r.code, 0, `caller answered, then hung up on by the service ${r.errors}`);
  const { up, d, span } = await greetingOf(t, '/greeting/');
  // 1.5 s of tone, then # (its end packets 100-160 ms later): the file stops there, not 3 s later.
  t.ok(d.durationSec >= 1.5 && d.durationSec <= 1.8, `ended on # (${d.durationSec.toFixed(3)} s)`);
  t.ok(span.lastSec - span.firstSec >= 1.4, `the greeting's tone is in the file (${(span.lastSec - span.firstSec).toFixed(3)} s)`);
  t.ok(goertzel(d.ch[0], 8000, CALLER_TONE) > 1e6, 'tone power');
  await svc.service.recordings?.flush();
  const api = await apiClient(svc);
  const list = (await (await api(`/v2/accounts/${w.accountId}/recordings`)).json() as { data: Array<Record<string, unknown>> }).data;
  t.match(list.find((x) => x.call_id === up.query.call_id), { origin: 'callflow : record_caller', status: 'uploaded', media_type: 'wav' });
});

t.test('time_limit ends the greeting and the call; uploaded by POST', async (t) => {
  const pcap = join(dir, 'long.pcap');
  writeToneKeyPcap(pcap, { freq: CALLER_TONE, before: 250, event: 1, after: 10, ssrc: 0x5252 });
  const r = await callFrom(svc, scenarioWith(pcap), { user: '1001', number: '3003', rtpPort: await freePort(), port: await freePort() });
  t.equal(r.code, 0, `hung up by the service at the limit ${r.errors}`);
  await upload.waitFor(() => upload.delivered().some((u) => u.path.startsWith('/short/')), 20_000, 'short upload');
  const up = upload.delivered().find((u) => u.path.startsWith('/short/'));
  if (!up) throw new Error('no upload');
  // WAV: ffmpeg reports 8 kHz mono MP3 (MPEG 2.5) about 0.16 s long (encoder padding), see the recorder's notes.
  t.equal(up.method, 'POST', 'method post from the action');
  const d = decodeBody(up.body, 'wav');
  t.ok(Math.abs(d.durationSec - 2) <= 0.1, `cut at the 2 s limit (${d.durationSec.toFixed(3)} s); with terminators ["#"] a 1 did not end it`);
});

t.test('voicemail on no answer: the device answers 486, the `_` record_caller runs and ends on 5', async (t) => {
  const pcap = join(dir, 'vm.pcap');
  writeToneKeyPcap(pcap, { freq: CALLER_TONE, before: 75, event: 5, after: 150, ssrc: 0x5353 });
  const callee = await registerPhone(svc, '2001');
  callee.rtp.close();
  const busy = answerOn(callee.port, 'phone-busy.xml', await freePort());
  const r = await callFrom(svc, scenarioWith(pcap), { user: '1001', number: '3004', rtpPort: await freePort(), port: await freePort() });
  t.equal(r.code, 0, `caller answered after the busy device, then hung up on by the service ${r.errors}`);
  t.equal((await busy.done).code, 0, 'the device was rung and answered 486');
  const { d, span } = await greetingOf(t, '/vm/');
  // 1.5 s of tone, then 5 (its end packets 100-160 ms later): the file stops there, not 3 s later.
  t.ok(d.durationSec >= 1.5 && d.durationSec <= 1.8, `ended on 5 (${d.durationSec.toFixed(3)} s)`);
  t.ok(span.lastSec - span.firstSec >= 1.4, `the message's tone is in the file (${(span.lastSec - span.firstSec).toFixed(3)} s)`);
});
