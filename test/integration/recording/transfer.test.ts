/**
 * Blind transfer (REFER, RFC 3515 / RFC 5589) of a recorded call, all parties SIPp, real
 * rtpengine: a carrier calls phone 2001, which talks (400 Hz), then REFERs the call to 2002;
 * the service answers 202, NOTIFYs 100 then 200 (sipfrag), rings 2002, which answers and talks
 * (600 Hz); the carrier is re-INVITEd, the transferor released. ONE recording file spans the
 * call: the callee channel holds 2001's tone, then 2002's. Bad input: a REFER to a number that
 * routes nowhere gets a final 404 sipfrag and the call goes on; a REFER outside a dialog gets
 * 403 (no To-tag) / 481 (unknown dialog).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Call } from '../../../src/calls';
import { tonePcap } from '../../helpers/pcap';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import type { TestService } from '../../helpers/service';
import { runSipp, scenarioFrom, startSipp } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { ended, nextCall, registerPhone } from '../calls/setup';
import { dominantSpan } from './media';
import {
  CALLEE_TONE, CALLER_TONE, CARRIER, REALM, decodeBody, setRecording, uploadsOf, type World, startRecordingEnv, type RecordingEnv,
} from './setup';

const TARGET_TONE = 600;

let svc: TestService;
let upload: UploadServer;
let w: World;
let env: RecordingEnv | undefined;
let dir: string;

t.before(async () => {
  env = await startRecordingEnv();
  ({ svc, upload, w } = env);
  const target = (await svc.store.create('devices', w.accountId, { name: 'phone 2002', sip: { username: '2002', password: 'pw-2002' } }))._id;
  await svc.store.create('callflows', w.accountId, { numbers: ['2002'], flow: { module: 'device', data: { id: target } } });
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { offnet: { enabled: true, url: `${upload.url}/acct`, format: 'wav' } } } });
  dir = mkdtempSync(join(tmpdir(), 'transfer-'));
});
t.teardown(async () => {
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true }); // the pcaps and scenarios written for SIPp
});



/** The carrier calls 4420000 (phone 2001), which REFERs to `target` expecting the final sipfrag `frag`. */
async function transferCall(o: { target: string; frag: number; callerScenario: string; callerMs: number }): Promise<{ call: Call; codes: Array<[string, number | null, string]> }> {
  const transferor = await registerPhone(svc, '2001');
  transferor.rtp.close();
  const callerRtp = await RtpEndpoint.open(CARRIER);
  try {
    const uas = startSipp({
      scenario: scenarioFrom('phone-answer-refer.xml', { PCAP: tonePcap(dir, 'transferor.pcap', CALLEE_TONE, 50, 0x2001), TARGET: o.target, FRAG: String(o.frag) }, dir),
      localPort: transferor.port, timeoutMs: 30_000, args: ['-m', '1', '-mp', String(await freePort())],
    });
    const callP = nextCall(svc);
    const uac = runSipp({
      scenario: scenarioFrom(o.callerScenario, { PCAP: tonePcap(dir, 'caller.pcap', CALLER_TONE, 300, 0x1001), MS: String(o.callerMs) }, dir),
      remote: svc.sipTarget, localPort: await freePort(CARRIER), timeoutMs: 30_000,
      args: ['-m', '1', '-i', CARRIER, '-s', '4420000', '-key', 'rtpport', String(callerRtp.port), '-mp', String(await freePort(CARRIER))],
    });
    const call = await callP;
    const [caller, callee] = await Promise.all([uac, uas.done]);
    await ended(call);
    return { call, codes: [['caller', caller.code, caller.errors], ['transferor', callee.code, callee.errors]] };
  } finally {
    callerRtp.close();
  }
}

t.test('blind transfer: NOTIFY 100 then 200, the target bridged, one recording spans both callees', async (t) => {
  const target = await registerPhone(svc, '2002');
  target.rtp.close();
  const targetUas = startSipp({
    scenario: scenarioFrom('rec-bench-uas.xml', { PCAP: tonePcap(dir, 'target.pcap', TARGET_TONE, 150, 0x2002) }, dir),
    localPort: target.port, timeoutMs: 30_000, args: ['-m', '1', '-mp', String(await freePort())],
  });
  let transferred = '';
  const seen = nextCall(svc).then((c) => { c.once('transferred', (_c, side) => { transferred = side; }); });
  const { call, codes } = await transferCall({ target: `sip:2002@${REALM}`, frag: 200, callerScenario: 'rec-carrier-transferred.xml', callerMs: 3000 });
  await seen;
  for (const [who, code, errors] of codes) t.equal(code, 0, `${who} scenario ${errors}`);
  const targetRun = await targetUas.done;
  t.equal(targetRun.code, 0, `the target answered and got the caller's BYE ${targetRun.errors}`);
  t.equal(transferred, 'callee', 'transferred event for the callee side');
  t.equal(call.answeredTarget?.deviceId !== undefined, true, 'the call now names the target device');
  t.equal(call.end?.by, 'caller', 'the carrier hung up on the new party');

  const ups = await uploadsOf(upload, call.callId, 1);
  t.equal(ups.length, 1, 'one recording for the whole call');
  const d = decodeBody(ups[0].body, 'wav');
  const first = dominantSpan(d.ch[1], d.sampleRate, CALLEE_TONE, TARGET_TONE);
  const second = dominantSpan(d.ch[1], d.sampleRate, TARGET_TONE, CALLEE_TONE);
  t.ok(first.blocks >= 40, `the transferor's tone is in the file (${first.blocks} blocks of 20 ms)`);
  t.ok(second.blocks >= 100, `the target's tone is in the same file (${second.blocks} blocks of 20 ms)`);
  t.ok(first.lastSec <= second.firstSec, `transferor (to ${first.lastSec.toFixed(2)} s) then target (from ${second.firstSec.toFixed(2)} s)`);
  t.ok(dominantSpan(d.ch[0], d.sampleRate, CALLER_TONE, TARGET_TONE).blocks >= 200, 'the caller throughout, on the left');
});

t.test('a REFER to a number that routes nowhere: final 404 sipfrag, the call goes on', async (t) => {
  const { call, codes } = await transferCall({ target: `sip:9999@${REALM}`, frag: 404, callerScenario: 'rec-bench-uac.xml', callerMs: 3500 });
  for (const [who, code, errors] of codes) t.equal(code, 0, `${who} scenario ${errors}`);
  t.equal(call.end?.by, 'caller', 'the call went on until the caller hung up');
  t.equal(call.end?.cause, 'NORMAL_CLEARING');
});

t.test('REFER outside a dialog: 403 without a To-tag, 481 for a dialog that does not exist', async (t) => {
  const r = await runSipp({ scenario: 'refer-out-of-dialog.xml', remote: svc.sipTarget, localPort: await freePort(), timeoutMs: 15_000, args: ['-m', '1', '-s', '2001'] });
  t.equal(r.code, 0, `403 then 481 ${r.errors}`);
});
