/**
 * Attended transfer (REFER with Replaces, RFC 3891 / RFC 5589 section 7), all parties SIPp, real
 * rtpengine. Call Y: carrier C calls 4420002, phone 2002 (A2) answers. Call X: carrier B calls
 * 4420000, phone 2001 (A1) answers and REFERs with Refer-To naming Y's dialog with A (as A sees
 * it). The B2BUA connects B and C itself: both are re-INVITEd, A1 gets NOTIFY 100 then 200 and a
 * BYE, A2 a BYE; when B hangs up, C gets its BYE. Each call's account recording is one file
 * spanning the call (X: A1's tone then C's; Y: A2's then B's) whose record names the parties;
 * A2's endpoint recording ends when it leaves. Bad input: Replaces naming the dialog of another
 * account's phone (a DID of account 2 the shared carrier delivered) gets 403 and both calls go on.
 */
import t, { type Test } from 'tap';
import type { Call } from '../../../src/calls';
import { tonePcap } from '../../helpers/pcap';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import type { TestService } from '../../helpers/service';
import { runSipp, scenarioFrom, sippMediaPort, startSipp, type SippResult } from '../../helpers/sipp';
import type { UploadServer } from '../../helpers/upload-server';
import { bridged, ended, nextCall, registerPhone } from '../calls/setup';
import { dominantSpan } from './media';
import {
  CALLEE_TONE, CALLER_TONE, CARRIER, REALM, decodeBody, recordingDocOf, setRecording, recordingSuite, uploadsOf, type World,
} from './setup';

const A2_TONE = 600;
const C_TONE = 700;

let svc: TestService;
let upload: UploadServer;
let w: World;
let dir: string;
let a2Device: string;

recordingSuite(t, 'attended-', async (s) => {
  ({ svc, upload, w, dir } = s);
  a2Device = (await svc.store.create('devices', w.accountId, { name: 'phone 2002', sip: { username: '2002', password: 'pw-2002' } }))._id;
  await svc.store.create('callflows', w.accountId, { numbers: ['2002', '4420002'], flow: { module: 'device', data: { id: a2Device } } });
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { offnet: { enabled: true, url: `${upload.url}/acct`, format: 'wav' } } } });
  await setRecording(svc, 'devices', a2Device, { inbound: { offnet: { enabled: true, url: `${upload.url}/dev`, format: 'wav' } } });
});

/** A carrier call to `did` from its own RTP socket, with `scenario` and its tone. */
async function carrierCall(did: string, scenario: string, values: Record<string, string>, rtp: RtpEndpoint): Promise<SippResult> {
  return runSipp({
    scenario: scenarioFrom(scenario, values, dir), remote: svc.sipTarget, localPort: await freePort(CARRIER), timeoutMs: 40_000,
    args: ['-m', '1', '-i', CARRIER, '-s', did, '-key', 'rtpport', String(rtp.port), '-mp', String(await sippMediaPort(CARRIER))],
  });
}

/**
 * The call A's REFER names: carrier C calls `did` (its own RTP socket, closed after the test),
 * phone `user` answers with its tone (rec-bench-uas.xml, waits for a BYE); resolves once bridged.
 */
async function otherCall(t: Test, user: string, realm: string, did: string, carrier: { scenario: string; values: Record<string, string> }): Promise<{ call: Call; phone: Promise<SippResult>; carrier: Promise<SippResult> }> {
  const phone = await registerPhone(svc, user, realm);
  phone.rtp.close();
  const rtp = await RtpEndpoint.open(CARRIER);
  t.teardown(() => rtp.close());
  const uas = startSipp({
    scenario: scenarioFrom('rec-bench-uas.xml', { PCAP: tonePcap(dir, `${user}.pcap`, A2_TONE, 100, Number(user)) }, dir),
    localPort: phone.port, timeoutMs: 40_000, args: ['-m', '1', '-mp', String(await sippMediaPort())],
  });
  const callP = nextCall(svc);
  const run = carrierCall(did, carrier.scenario, carrier.values, rtp);
  const call = await callP;
  await bridged(call);
  return { call, phone: uas.done, carrier: run };
}

interface PartyDoc { role: string; joined: string; number: string | null; device_id: string | null; joined_at_ms: number; left_at_ms: number | null }

t.test('attended transfer: B and C connected through both anchored calls, one account file per call spanning it', async (t) => {
  const { call: y, phone: a2Done, carrier: cRun } = await otherCall(t, '2002', REALM, '4420002', { scenario: 'rec-carrier-spliced.xml', values: { PCAP: tonePcap(dir, 'c.pcap', C_TONE, 450, 0x3003) } });
  const a1 = await registerPhone(svc, '2001');
  a1.rtp.close();
  const bRtp = await RtpEndpoint.open(CARRIER);
  t.teardown(() => bRtp.close());
  const ySip = y.uac?.sip;
  if (!ySip) throw new Error('call Y has no callee leg');
  // A's dialog of call Y as A names it (RFC 3891 section 3): to-tag the B2BUA's, from-tag A's.
  const replaces = encodeURIComponent(`${ySip.callId};to-tag=${ySip.localTag};from-tag=${ySip.remoteTag}`);
  const a1Uas = startSipp({
    scenario: scenarioFrom('phone-answer-refer.xml', { PCAP: tonePcap(dir, 'a1.pcap', CALLEE_TONE, 50, 0x2001), TARGET: `sip:2002@${REALM}?Replaces=${replaces}`, FRAG: '200' }, dir),
    localPort: a1.port, timeoutMs: 40_000, args: ['-m', '1', '-mp', String(await sippMediaPort())],
  });
  const sides: string[] = [];
  y.once('transferred', (_c, side, who) => sides.push(`Y ${side} ${who.attended}`));
  const xP = nextCall(svc).then((x) => { x.once('transferred', (_c, side, who) => sides.push(`X ${side} ${who.attended}`)); return x; });
  const bRun = carrierCall('4420000', 'rec-carrier-transferred.xml', { PCAP: tonePcap(dir, 'b.pcap', CALLER_TONE, 300, 0x1001), MS: '3000' }, bRtp);
  const x = await xP;
  const runs = await Promise.all([bRun, a1Uas.done, cRun, a2Done]);
  for (const [who, r] of ['B (re-INVITEd, hangs up)', 'A1 (REFER, NOTIFY 100/200, BYE)', 'C (re-INVITEd, BYE)', 'A2 (BYE)'].map((n, i) => [n, runs[i]] as const)) {
    t.equal(r.code, 0, `${who} ${r.errors}`);
  }
  await Promise.all([ended(x), ended(y)]);
  t.same(sides.sort(), ['X callee true', 'Y callee true'], 'both calls report the attended transfer of A\'s side');
  t.equal(x.end?.by, 'caller', 'B hung up call X');
  t.equal(y.end?.by, 'callee', 'call Y ended with it, by the party now on A\'s side');

  const xFiles = (await uploadsOf(upload, x.callId, 1)).filter((u) => u.path.startsWith('/acct'));
  const yAll = await uploadsOf(upload, y.callId, 2);
  const yFiles = yAll.filter((u) => u.path.startsWith('/acct'));
  const yDev = yAll.filter((u) => u.path.startsWith('/dev'));
  t.same([xFiles.length, yFiles.length, yDev.length], [1, 1, 1], 'one account file per call; A2\'s endpoint file');
  await checkFile(t, 'X', xFiles[0].body, CALLER_TONE, CALLEE_TONE, C_TONE);
  await checkFile(t, 'Y', yFiles[0].body, C_TONE, A2_TONE, CALLER_TONE);
  const dev = decodeBody(yDev[0].body, 'wav');
  t.ok(dominantSpan(dev.ch[1], dev.sampleRate, A2_TONE, CALLER_TONE).blocks >= 40, 'A2\'s endpoint file holds A2');
  // B reaches Y's side of A with X's re-INVITE; A2's recording ends once C's re-INVITE is done too.
  const leak = dominantSpan(dev.ch[1], dev.sampleRate, CALLER_TONE, A2_TONE);
  t.ok(leak.blocks <= 5, `and B only within the second re-INVITE's round trip: it ended when A2 left (${leak.blocks} blocks of 20 ms)`);

  const xParties = (await recordingDocOf(svc, w.accountId, x.callId, 'uploaded')).parties as unknown as PartyDoc[];
  t.match(xParties, [
    { role: 'caller', joined: 'call', number: '15559990000' },
    { role: 'callee', joined: 'call', number: '4420000', device_id: w.calleeDevice },
    { role: 'callee', joined: 'attended_transfer', number: '15559990000', left_at_ms: null },
  ], 'X names B, A1, then C');
  t.equal(xParties.length, 3);
  t.ok(xParties[1].left_at_ms !== null && xParties[1].left_at_ms === xParties[2].joined_at_ms, 'C joined X as A1 left');
  const yParties = (await recordingDocOf(svc, w.accountId, y.callId, 'uploaded')).parties as unknown as PartyDoc[];
  t.match(yParties, [
    { role: 'caller', number: '15559990000' },
    { role: 'callee', joined: 'call', number: '4420002', device_id: a2Device },
    { role: 'callee', joined: 'attended_transfer', number: '15559990000' },
  ], 'Y names C, A2, then B');
});

/** Caller channel: `left` throughout; callee channel: `before`, then `after` (the party spliced in). */
async function checkFile(t: Test, name: string, body: Buffer, left: number, before: number, after: number): Promise<void> {
  const d = decodeBody(body, 'wav');
  const first = dominantSpan(d.ch[1], d.sampleRate, before, after);
  const second = dominantSpan(d.ch[1], d.sampleRate, after, before);
  t.ok(first.blocks >= 40, `${name}: A's tone in the file (${first.blocks} blocks of 20 ms)`);
  t.ok(second.blocks >= 100, `${name}: the other call's party after the transfer (${second.blocks} blocks of 20 ms)`);
  t.ok(first.lastSec <= second.firstSec, `${name}: A (to ${first.lastSec.toFixed(2)} s) then the other party (from ${second.firstSec.toFixed(2)} s)`);
  t.ok(dominantSpan(d.ch[0], d.sampleRate, left, after).blocks >= 200, `${name}: the remaining party throughout, on the left`);
}

t.test('Replaces naming another account\'s dialog: 403 to the REFER, both calls go on', async (t) => {
  const other = (await svc.store.createAccount(null, { name: 'other', realm: 'other.test' }))._id;
  const device = (await svc.store.create('devices', other, { name: 'phone 3001', sip: { username: '3001', password: 'pw-3001' } }))._id;
  await svc.store.create('callflows', other, { numbers: ['4430000'], flow: { module: 'device', data: { id: device } } });
  const { call: z, phone: zDone, carrier: cRun } = await otherCall(t, '3001', 'other.test', '4430000', { scenario: 'rec-bench-uac.xml', values: { PCAP: tonePcap(dir, 'c2.pcap', C_TONE, 300, 0x3003), MS: '6000' } });
  const a1 = await registerPhone(svc, '2001');
  a1.rtp.close();
  const bRtp = await RtpEndpoint.open(CARRIER);
  t.teardown(() => bRtp.close());
  const zSip = z.uac?.sip;
  if (!zSip) throw new Error('call Z has no callee leg');
  t.equal(z.accountId, other, 'call Z is account 2\'s');
  const replaces = encodeURIComponent(`${zSip.callId};to-tag=${zSip.localTag};from-tag=${zSip.remoteTag}`);
  const a1Uas = startSipp({
    scenario: scenarioFrom('phone-answer-refer-refused.xml', { PCAP: tonePcap(dir, 'a1-r.pcap', CALLEE_TONE, 50, 0x2001), TARGET: `sip:3001@other.test?Replaces=${replaces}`, STATUS: '403' }, dir),
    localPort: a1.port, timeoutMs: 40_000, args: ['-m', '1', '-mp', String(await sippMediaPort())],
  });
  const xP = nextCall(svc);
  const bRun = carrierCall('4420000', 'rec-bench-uac.xml', { PCAP: tonePcap(dir, 'b2.pcap', CALLER_TONE, 200, 0x1001), MS: '3500' }, bRtp);
  const x = await xP;
  const runs = await Promise.all([bRun, a1Uas.done, cRun, zDone]);
  for (const [who, r] of ['B', 'A1 (REFER refused 403)', 'C', 'Z'].map((n, i) => [n, runs[i]] as const)) t.equal(r.code, 0, `${who} ${r.errors}`);
  await Promise.all([ended(x), ended(z)]);
  t.same([x.end?.by, z.end?.by], ['caller', 'caller'], 'each call went on until its carrier hung up');
  t.same([x.parties.until(Date.now()).length, z.parties.until(Date.now()).length], [2, 2], 'nobody joined either call');
});
