/**
 * Blind transfer (REFER, RFC 3515 / RFC 5589) of a recorded call, all parties SIPp, real
 * rtpengine: a carrier calls phone 2001, which talks (400 Hz), then REFERs the call to 2002;
 * the service answers 202, NOTIFYs 100 then 200 (sipfrag), rings 2002, which answers and talks
 * (600 Hz); the carrier is re-INVITEd, the transferor released. ONE recording file spans the
 * call: the callee channel holds 2001's tone, then 2002's; its record (API), webhook and sidecar
 * name the three parties in order with their join / leave times. The policy is re-applied for
 * the new party: 2002's endpoint recording starts at the transfer (a second file, 2002's tone
 * only) while the account's stays one file. Bad input: a REFER to a number that
 * routes nowhere gets a final 404 sipfrag and the call goes on, one with Replaces naming a
 * dialog no call holds a final 481; baresip transfers with its own transfer command; a called
 * carrier's REFER is routed as a call from its trunk; a REFER outside a dialog gets
 * 403 (no To-tag) / 481 (unknown dialog).
 */
import t, { type Test } from 'tap';
import type { Call } from '../../../src/calls';
import { tonePcap } from '../../helpers/pcap';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import type { TestService } from '../../helpers/service';
import { runSipp, scenarioFrom, sippMediaPort, startSipp } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { Baresip } from '../../helpers/baresip';
import { bridged, callFrom, ended, nextCall, registerPhone } from '../calls/setup';
import { dominantSpan } from './media';
import {
  CALLEE_TONE, CALLER_TONE, CARRIER, REALM, decodeBody, recordingDocOf, setRecording, uploadsOf, type World, recordingSuite,
} from './setup';

const TARGET_TONE = 600;

let svc: TestService;
let upload: UploadServer;
let w: World;
let dir: string;
let targetDevice: string;

recordingSuite(t, 'transfer-', async (s) => {
  ({ svc, upload, w, dir } = s);
  targetDevice = (await svc.store.create('devices', w.accountId, { name: 'phone 2002', sip: { username: '2002', password: 'pw-2002' } }))._id;
  await svc.store.create('callflows', w.accountId, { numbers: ['2002'], flow: { module: 'device', data: { id: targetDevice } } });
  await svc.store.merge('accounts', w.accountId, { storage: { sidecar: true } });
  await setRecording(svc, 'devices', targetDevice, { inbound: { offnet: { enabled: true, url: `${upload.url}/dev`, format: 'wav' } } });
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { offnet: { enabled: true, url: `${upload.url}/acct`, format: 'wav' } } } });
  // A callflow recording that must not follow a transfer (Kazoo's should_follow_transfer: false).
  await svc.store.create('callflows', w.accountId, { numbers: ['4420007'], flow: {
    module: 'record_call', data: { action: 'start', url: `${upload.url}/nofollow`, format: 'wav', should_follow_transfer: false },
    children: { _: { module: 'device', data: { id: w.calleeDevice } } },
  } });
}, { webhookPath: '/hook' });



/** Phone 2002 registers and answers the transfer once with TARGET_TONE (`packets` of 20 ms). */
async function startTarget(pcap: string, packets = 150): Promise<ReturnType<typeof startSipp>> {
  const target = await registerPhone(svc, '2002');
  target.rtp.close();
  return startSipp({
    scenario: scenarioFrom('rec-bench-uas.xml', { PCAP: tonePcap(dir, pcap, TARGET_TONE, packets, 0x2002) }, dir),
    localPort: target.port, timeoutMs: 30_000, args: ['-m', '1', '-mp', String(await sippMediaPort())],
  });
}

/** The carrier calls 4420000 (phone 2001), which REFERs to `target` expecting the final sipfrag `frag`. */
async function transferCall(o: { target: string; frag: number; callerScenario: string; callerMs: number; dial?: string }): Promise<{ call: Call; codes: Array<[string, number | null, string]> }> {
  const transferor = await registerPhone(svc, '2001');
  transferor.rtp.close();
  const callerRtp = await RtpEndpoint.open(CARRIER);
  try {
    const uas = startSipp({
      scenario: scenarioFrom('phone-answer-refer.xml', { PCAP: tonePcap(dir, 'transferor.pcap', CALLEE_TONE, 50, 0x2001), TARGET: o.target, FRAG: String(o.frag) }, dir),
      localPort: transferor.port, timeoutMs: 30_000, args: ['-m', '1', '-mp', String(await sippMediaPort())],
    });
    const uac = runSipp({
      scenario: scenarioFrom(o.callerScenario, { PCAP: tonePcap(dir, 'caller.pcap', CALLER_TONE, 300, 0x1001), MS: String(o.callerMs) }, dir),
      remote: svc.sipTarget, localPort: await freePort(CARRIER), timeoutMs: 30_000,
      args: ['-m', '1', '-i', CARRIER, '-s', o.dial ?? '4420000', '-key', 'rtpport', String(callerRtp.port), '-mp', String(await sippMediaPort(CARRIER))],
    });
    const callP = nextCall(svc, 20_000, uac);
    const call = await callP;
    const [caller, callee] = await Promise.all([uac, uas.done]);
    await ended(call);
    return { call, codes: [['caller', caller.code, caller.errors], ['transferor', callee.code, callee.errors]] };
  } finally {
    callerRtp.close();
  }
}

t.test('blind transfer: NOTIFY 100 then 200, the target bridged, one recording spans both callees', async (t) => {
  const targetUas = await startTarget('target.pcap');
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

  const all = (await uploadsOf(upload, call.callId, 4)).filter((u) => !u.path.endsWith('.json'));
  const ups = all.filter((u) => u.path.startsWith('/acct'));
  t.equal(ups.length, 1, 'one account recording for the whole call');
  const dev = all.filter((u) => u.path.startsWith('/dev'));
  t.equal(dev.length, 1, 'the target\'s endpoint recording started for it');
  await checkParties(t, call);
  const d = decodeBody(ups[0].body, 'wav');
  const first = dominantSpan(d.ch[1], d.sampleRate, CALLEE_TONE, TARGET_TONE);
  const second = dominantSpan(d.ch[1], d.sampleRate, TARGET_TONE, CALLEE_TONE);
  t.ok(first.blocks >= 40, `the transferor's tone is in the file (${first.blocks} blocks of 20 ms)`);
  t.ok(second.blocks >= 100, `the target's tone is in the same file (${second.blocks} blocks of 20 ms)`);
  t.ok(first.lastSec <= second.firstSec, `transferor (to ${first.lastSec.toFixed(2)} s) then target (from ${second.firstSec.toFixed(2)} s)`);
  t.ok(dominantSpan(d.ch[0], d.sampleRate, CALLER_TONE, TARGET_TONE).blocks >= 200, 'the caller throughout, on the left');
  const e = decodeBody(dev[0].body, 'wav');
  t.ok(dominantSpan(e.ch[1], e.sampleRate, TARGET_TONE, CALLEE_TONE).blocks >= 100, 'the endpoint recording holds the target\'s tone');
  t.equal(dominantSpan(e.ch[1], e.sampleRate, CALLEE_TONE, TARGET_TONE).blocks, 0, 'and none of the transferor\'s (it began at the transfer)');
  t.ok(e.durationSec < d.durationSec - 1, `it is shorter than the account's (${e.durationSec.toFixed(2)} s < ${d.durationSec.toFixed(2)} s)`);
});

t.test('record_call with should_follow_transfer false ends at the transfer; the account recording goes on', async (t) => {
  const targetUas = await startTarget('target-nf.pcap');
  const { call, codes } = await transferCall({ target: `sip:2002@${REALM}`, frag: 200, callerScenario: 'rec-carrier-transferred.xml', callerMs: 3000, dial: '4420007' });
  for (const [who, code, errors] of codes) t.equal(code, 0, `${who} scenario ${errors}`);
  t.equal((await targetUas.done).code, 0, 'the target answered');
  const [nf, acct] = await filesUnder(call, '/nofollow', '/acct');
  t.equal(nf.length, 1, 'the record_call recording was delivered');
  t.equal(acct.length, 1, 'one account recording');
  if (nf.length !== 1 || acct.length !== 1) return;
  const f = decodeBody(nf[0].body, 'wav');
  const a = decodeBody(acct[0].body, 'wav');
  t.ok(dominantSpan(f.ch[1], f.sampleRate, CALLEE_TONE, TARGET_TONE).blocks >= 40, 'it holds the transferor');
  t.ok(dominantSpan(f.ch[1], f.sampleRate, TARGET_TONE, CALLEE_TONE).blocks <= 5, 'and not the target (it ended at the transfer)');
  t.ok(dominantSpan(a.ch[1], a.sampleRate, TARGET_TONE, CALLEE_TONE).blocks >= 100, 'the account recording goes on with the target');
  t.ok(f.durationSec < a.durationSec - 1, `shorter than the account's (${f.durationSec.toFixed(2)} s < ${a.durationSec.toFixed(2)} s)`);
});

t.test('a REFER to a number that routes nowhere: final 404 sipfrag, the call goes on', async (t) => {
  const { call, codes } = await transferCall({ target: `sip:9999@${REALM}`, frag: 404, callerScenario: 'rec-bench-uac.xml', callerMs: 3500 });
  for (const [who, code, errors] of codes) t.equal(code, 0, `${who} scenario ${errors}`);
  t.equal(call.end?.by, 'caller', 'the call went on until the caller hung up');
  t.equal(call.end?.cause, 'NORMAL_CLEARING');
});

t.test('attended transfer naming a dialog no call holds: final 481 sipfrag (RFC 3891), the call goes on', async (t) => {
  const replaces = encodeURIComponent('no-such-call@127.0.0.1;to-tag=1;from-tag=2');
  const { call, codes } = await transferCall({ target: `sip:2002@${REALM}?Replaces=${replaces}`, frag: 481, callerScenario: 'rec-bench-uac.xml', callerMs: 3500 });
  for (const [who, code, errors] of codes) t.equal(code, 0, `${who} scenario ${errors}`);
  t.equal(call.end?.by, 'caller', 'the call went on until the caller hung up');
  t.equal(call.parties.until(Date.now()).length, 2, 'no party joined');
});

t.test('baresip transfers blind (its transfer command): the target bridged, one file with baresip\'s tone then the target\'s', async (t) => {
  // Its own device: phone 2001 keeps the SIPp contact the other tests registered.
  const device = (await svc.store.create('devices', w.accountId, { name: 'phone 2003', sip: { username: '2003', password: 'pw-2003' } }))._id;
  await svc.store.create('callflows', w.accountId, { numbers: ['4420003'], flow: { module: 'device', data: { id: device } } });
  const phone = await Baresip.start({ user: '2003', realm: REALM, password: 'pw-2003', proxy: svc.sipTarget, toneHz: CALLEE_TONE, autoAnswer: true });
  t.teardown(() => phone.close());
  const targetUas = await startTarget('target-b.pcap');
  const callerRtp = await RtpEndpoint.open(CARRIER);
  t.teardown(() => callerRtp.close());
  const uac = runSipp({
    scenario: scenarioFrom('rec-carrier-transferred.xml', { PCAP: tonePcap(dir, 'caller-b.pcap', CALLER_TONE, 350, 0x1001), MS: '3000' }, dir),
    remote: svc.sipTarget, localPort: await freePort(CARRIER), timeoutMs: 30_000,
    args: ['-m', '1', '-i', CARRIER, '-s', '4420003', '-key', 'rtpport', String(callerRtp.port), '-mp', String(await sippMediaPort(CARRIER))],
  });
  const callP = nextCall(svc, 20_000, uac);
  const call = await callP;
  await bridged(call);
  await new Promise((r) => setTimeout(r, 1500)); // baresip's tone before the transfer
  const mark = phone.seen().length;
  phone.command('transfer', `sip:2002@${REALM}`);
  await phone.waitFor((e) => e.type === 'CALL_CLOSED', 15_000, 'the transferor released', mark);
  const [caller, targetRun] = await Promise.all([uac, targetUas.done]);
  t.equal(caller.code, 0, `the carrier was re-INVITEd and hung up on the target ${caller.errors}`);
  t.equal(targetRun.code, 0, `the target answered and got the BYE ${targetRun.errors}`);
  await ended(call);
  const ups = (await uploadsOf(upload, call.callId, 4)).filter((u) => u.path.startsWith('/acct') && !u.path.endsWith('.json'));
  t.equal(ups.length, 1, 'one account recording');
  const d = decodeBody(ups[0].body, 'wav');
  const first = dominantSpan(d.ch[1], d.sampleRate, CALLEE_TONE, TARGET_TONE);
  const second = dominantSpan(d.ch[1], d.sampleRate, TARGET_TONE, CALLEE_TONE);
  t.ok(first.blocks >= 50, `baresip's tone is in the file (${first.blocks} blocks of 20 ms)`);
  t.ok(second.blocks >= 100, `the target's tone is in the same file (${second.blocks} blocks of 20 ms)`);
  t.ok(first.lastSec <= second.firstSec, `baresip (to ${first.lastSec.toFixed(2)} s) then the target (from ${second.firstSec.toFixed(2)} s)`);
  const callSec = ((call.endedAt?.getTime() ?? 0) - call.startedAt.getTime()) / 1000;
  t.ok(Math.abs(d.durationSec - callSec) <= 1, `the file spans the call (${d.durationSec.toFixed(2)} s of ${callSec.toFixed(2)} s)`);
  const parties = (await recordingDocOf(svc, w.accountId, call.callId, 'uploaded')).parties as unknown as PartyDoc[];
  t.match(parties.map((p) => [p.joined, p.device_id]), [['call', null], ['call', device], ['transfer', targetDevice]], 'the record names baresip, then the target');
});

t.test('a called carrier transfers (REFER on the trunk leg): routed as from its trunk, the phone re-INVITEd to the target', async (t) => {
  const caller = await registerPhone(svc, '1001');
  caller.rtp.close();
  const targetUas = await startTarget('target-t.pcap', 100);
  const carrier = startSipp({
    scenario: scenarioFrom('phone-answer-refer.xml', { PCAP: tonePcap(dir, 'carrier-t.pcap', CALLEE_TONE, 50, 0x5555), TARGET: `sip:2002@${REALM}`, FRAG: '200' }, dir),
    localPort: w.carrierPort, timeoutMs: 30_000, args: ['-m', '1', '-i', CARRIER, '-mp', String(await sippMediaPort(CARRIER))],
  });
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'rec-phone-call-transferred.xml', { user: '1001', number: '15551234567', rtpPort: await freePort(), port: await freePort() });
  const call = await callP;
  const [phone, trunk, targetRun] = await Promise.all([uac, carrier.done, targetUas.done]);
  t.equal(trunk.code, 0, `the carrier got 202, NOTIFY 100 and 200, then BYE ${trunk.errors}`);
  t.equal(phone.code, 0, `the phone was re-INVITEd and hung up ${phone.errors}`);
  t.equal(targetRun.code, 0, `the target answered and got the BYE ${targetRun.errors}`);
  await ended(call);
  t.match(call.parties.until(Date.now()).map((p) => [p.role, p.joined, p.deviceId ?? null, p.resourceId !== undefined]), [
    ['caller', 'call', w.callerDevice, false], ['callee', 'call', null, true], ['callee', 'transfer', targetDevice, false],
  ], 'the phone, the carrier (a trunk), then the target');
});

t.test('the caller transfers (phone 1001 REFERs its callee to 2002): one account file, 1001 then 2002 on the caller side', async (t) => {
  // A phone-to-phone call: the account records inbound onnet, 1001's device its outbound calls.
  await setRecording(svc, 'accounts', w.accountId, { account: {
    inbound: { offnet: { enabled: true, url: `${upload.url}/acct`, format: 'wav' }, onnet: { enabled: true, url: `${upload.url}/acct`, format: 'wav' } },
  } });
  await setRecording(svc, 'devices', w.callerDevice, { outbound: { onnet: { enabled: true, url: `${upload.url}/caller`, format: 'wav' } } });
  t.teardown(async () => {
    await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { offnet: { enabled: true, url: `${upload.url}/acct`, format: 'wav' } } } });
    await setRecording(svc, 'devices', w.callerDevice, {});
  });
  const transferor = await registerPhone(svc, '1001');
  transferor.rtp.close();
  const callee = await registerPhone(svc, '2001');
  callee.rtp.close();
  const calleeUas = startSipp({
    scenario: scenarioFrom('phone-answer-transferred.xml', { MS: '3000' }, dir),
    localPort: callee.port, timeoutMs: 30_000, args: ['-m', '1', '-mp', String(await sippMediaPort())],
  });
  const targetUas = await startTarget('target-c.pcap');
  let transferred = '';
  const mediaPort = await freePort();
  const uac = callFrom(svc, scenarioFrom('phone-call-refer.xml', { PCAP: tonePcap(dir, 'transferor-c.pcap', CALLER_TONE, 50, 0x1001), TARGET: `sip:2002@${REALM}`, FRAG: '200' }, dir), {
    user: '1001', number: '2000', rtpPort: 0, port: transferor.port, args: ['-mp', String(mediaPort)],
  });
  const callP = nextCall(svc, 20_000, uac);
  // The rejection is the awaited callP's to report; this branch only listens.
  callP.then((c) => c.once('transferred', (_c, side) => { transferred = side; }), () => undefined);
  const call = await callP;
  const [phone, calleeRun, targetRun] = await Promise.all([uac, calleeUas.done, targetUas.done]);
  t.equal(phone.code, 0, `the transferor got 202, NOTIFY 100 then 200, then BYE ${phone.errors}`);
  t.equal(calleeRun.code, 0, `the callee was re-INVITEd and hung up ${calleeRun.errors}`);
  t.equal(targetRun.code, 0, `the target answered and got the BYE ${targetRun.errors}`);
  await ended(call);
  t.equal(transferred, 'caller', 'transferred event for the caller side');
  t.equal(call.end?.by, 'callee', 'the callee hung up on the new party');

  const [acct, dev] = await filesUnder(call, '/acct', '/caller');
  t.equal(acct.length, 1, 'one account recording for the whole call');
  t.equal(dev.length, 1, 'the caller\'s endpoint recording');
  if (acct.length !== 1 || dev.length !== 1) return;
  const d = decodeBody(acct[0].body, 'wav');
  const first = dominantSpan(d.ch[0], d.sampleRate, CALLER_TONE, TARGET_TONE);
  const second = dominantSpan(d.ch[0], d.sampleRate, TARGET_TONE, CALLER_TONE);
  t.ok(first.blocks >= 40, `the transferor's tone is on the caller side (${first.blocks} blocks of 20 ms)`);
  t.ok(second.blocks >= 100, `the target's tone is on the caller side of the same file (${second.blocks} blocks of 20 ms)`);
  t.ok(first.lastSec <= second.firstSec, `transferor (to ${first.lastSec.toFixed(2)} s) then target (from ${second.firstSec.toFixed(2)} s)`);
  const callSec = ((call.endedAt?.getTime() ?? 0) - call.startedAt.getTime()) / 1000;
  t.ok(Math.abs(d.durationSec - callSec) <= 1, `the file spans the call (${d.durationSec.toFixed(2)} s of ${callSec.toFixed(2)} s)`);
  const e = decodeBody(dev[0].body, 'wav');
  t.ok(dominantSpan(e.ch[0], e.sampleRate, CALLER_TONE, TARGET_TONE).blocks >= 40, 'the caller\'s endpoint recording holds its tone');
  // It ends when the media was re-pointed; the target's first packets can reach the recorder a
  // few ms before the engine reports its answer, so at most the last 20 ms block may hold them.
  const late = dominantSpan(e.ch[0], e.sampleRate, TARGET_TONE, CALLER_TONE);
  t.ok(late.blocks === 0 || (late.blocks === 1 && late.lastSec >= e.durationSec - 0.04), `none of the target's before the transfer (${late.blocks} blocks)`);
  t.ok(e.durationSec < d.durationSec - 2, `it is shorter than the account's (${e.durationSec.toFixed(2)} s < ${d.durationSec.toFixed(2)} s)`);
  const parties = (await recordingDocOf(svc, w.accountId, call.callId, 'uploaded')).parties as unknown as PartyDoc[];
  t.match(parties, [
    { role: 'caller', joined: 'call', number: '1001', device_id: w.callerDevice },
    { role: 'callee', joined: 'call', number: '2000', device_id: w.calleeDevice, left_at_ms: null },
    { role: 'caller', joined: 'transfer', number: '2002', device_id: targetDevice, left_at_ms: null },
  ], 'the record names the transferor, the callee and the target');
  t.equal(parties.length, 3);
  t.ok(parties[0].left_at_ms !== null && Math.abs(parties[2].joined_at_ms - (parties[0].left_at_ms ?? 0)) <= 5, 'the target joined as the transferor left');
});

t.test('REFER outside a dialog: 403 without a To-tag, 481 for a dialog that does not exist', async (t) => {
  const r = await runSipp({ scenario: 'refer-out-of-dialog.xml', remote: svc.sipTarget, localPort: await freePort(), timeoutMs: 15_000, args: ['-m', '1', '-s', '2001'] });
  t.equal(r.code, 0, `403 then 481 ${r.errors}`);
});

/** The call's recording files (not sidecars) delivered under each path prefix. */
/**
 * The call's recording files (sidecars left out) under each prefix, once every prefix has one.
 * Waiting for a count of uploads raced: other recordings of the call (the target's endpoint
 * recording) can land first and fill the count before the one asked for.
 */
async function filesUnder(call: Call, ...prefixes: string[]): Promise<Awaited<ReturnType<typeof uploadsOf>>[]> {
  const split = (): Awaited<ReturnType<typeof uploadsOf>>[] => {
    const files = upload.delivered().filter((u) => u.query.call_id === call.callId && !u.path.endsWith('.json'));
    return prefixes.map((p) => files.filter((u) => u.path.startsWith(p)));
  };
  await upload.waitFor(() => split().every((f) => f.length > 0), 20_000, `recordings of ${call.callId} under ${prefixes.join(', ')}`);
  return split();
}

interface PartyDoc { role: string; joined: string; number: string | null; device_id: string | null; resource_id: string | null; joined_at_ms: number; left_at_ms: number | null }

/** The three parties of the transferred call, in order, alike in the record, the webhook and the sidecar. */
async function checkParties(t: Test, call: Call): Promise<void> {
  const doc = await recordingDocOf(svc, w.accountId, call.callId, 'uploaded');
  const parties = doc.parties as unknown as PartyDoc[];
  t.match(parties, [
    { role: 'caller', joined: 'call', number: '15559990000', device_id: null, left_at_ms: null },
    { role: 'callee', joined: 'call', number: '4420000', device_id: w.calleeDevice },
    { role: 'callee', joined: 'transfer', number: '2002', device_id: targetDevice, left_at_ms: null },
  ], 'the record names the caller, the transferor and the target');
  t.equal(parties.length, 3);
  t.ok(typeof parties[0].resource_id === 'string', 'the carrier by its trunk (resource) id');
  const [caller, transferor, target] = parties;
  t.ok(caller.joined_at_ms <= transferor.joined_at_ms && transferor.left_at_ms !== null, 'the transferor joined after the caller, and left');
  t.ok(transferor.left_at_ms !== null && Math.abs(target.joined_at_ms - transferor.left_at_ms) <= 5, 'the target joined as the transferor left');
  const isHook = (r: { path: string; body: Buffer }): boolean => r.path === '/hook' && r.body.toString().includes(call.callId) && r.body.toString().includes('"uploaded"');
  // The webhook is posted after the record says uploaded.
  await upload.waitFor(() => upload.requests.some(isHook), 10_000, 'webhook');
  const hook = upload.requests.find(isHook);
  const body = JSON.parse(hook?.body.toString() ?? '{}') as { recording?: { meta?: { parties?: Array<Record<string, unknown>> } } };
  t.same(body.recording?.meta?.parties?.map((p) => [p.role, p.joined, p.number, p.joinedAt, p.leftAt ?? null]),
    parties.map((p) => [p.role, p.joined, p.number, p.joined_at_ms, p.left_at_ms]), 'the webhook\'s meta lists them');
  await upload.waitFor(() => upload.delivered().some((u) => u.query.call_id === call.callId && u.path.endsWith('.json')), 10_000, 'sidecar');
  const side = upload.delivered().find((u) => u.query.call_id === call.callId && u.path.endsWith('.json'));
  const sidecar = JSON.parse(side?.body.toString() ?? '{}') as { parties?: { reached?: PartyDoc[] } };
  t.same(sidecar.parties?.reached, parties, 'the sidecar lists them as the record does');
}
