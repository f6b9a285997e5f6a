/**
 * record_caller as the last module of a callflow (a voicemail greeting): nobody is called; the
 * service answers the caller itself with the recorder's address in its SDP, records the caller
 * alone (mono 8 kHz WAV here), and hangs up when the caller presses # (RFC 4733 in the caller's
 * RTP, played by SIPp from a pcap) — or at the time limit. The file is decoded and checked.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from '../../helpers/ports';
import type { TestService } from '../../helpers/service';
import { SCENARIO_DIR } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { callFrom, registerPhone } from '../calls/setup';
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
  await svc.store.create('callflows', w.accountId, { numbers: ['3003'], flow: { module: 'record_caller', data: { url: `${upload.url}/short`, format: 'wav', time_limit: 2, method: 'post' } } });
});

function scenarioWith(pcap: string): string {
  const out = join(dir, `rc-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(out, readFileSync(join(SCENARIO_DIR, 'rec-phone-record-caller.xml'), 'utf8').replace(/@PCAP@/g, pcap));
  return out;
}

t.test('answered by the service, caller alone, ended by #', async (t) => {
  const pcap = join(dir, 'greeting.pcap');
  writeToneKeyPcap(pcap, { freq: CALLER_TONE, before: 75, event: 11, after: 150, ssrc: 0x5151 });
  const phone = await registerPhone(svc, '1001');
  phone.rtp.close();
  const r = await callFrom(svc, scenarioWith(pcap), { user: '1001', number: '3002', rtpPort: await freePort(), port: await freePort() });
  t.equal(r.code, 0, `caller answered, then hung up on by the service ${r.errors}`);
  await upload.waitFor(() => upload.delivered().some((u) => u.path.startsWith('/greeting/')), 20_000, 'greeting upload');
  const ups = upload.delivered().filter((u) => u.path.startsWith('/greeting/'));
  const up = ups[0];
  t.match(decodeURIComponent(up.path), /^\/greeting\/call_recording_.+\.wav$/);
  const d = decodeBody(up.body, 'wav');
  t.equal(d.channels, 1, 'mono');
  t.equal(d.sampleRate, 8000, '8 kHz');
  const span = toneSpan(d.ch[0], 8000, CALLER_TONE);
  t.equal(span.gaps, 0, 'no gap in the caller\'s tone');
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
  t.ok(Math.abs(d.durationSec - 2) <= 0.1, `cut at the 2 s limit (${d.durationSec.toFixed(3)} s); a digit other than # did not end it`);
});
