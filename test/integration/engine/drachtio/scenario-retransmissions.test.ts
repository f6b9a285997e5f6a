/**
 * The shipped SIPp scenarios the B2BUA loss test uses (uas-basic.xml, uac-basic.xml) must recover
 * every message loss that RFC 3261 retransmissions recover. Here a scripted UDP peer plays the
 * engine's side and replays, deterministically, what a lost message makes a real peer send:
 * - uas-basic: its 180 and 200 lost -> the INVITE again (Timer A, RFC 3261 17.1.1.2); its 200 to
 *   the BYE lost -> the BYE again (Timer E, 17.1.2.2).
 * - uac-basic: its ACK lost -> the 2xx again (13.3.1.4), also after its BYE has gone out; the
 *   2xx must get a new ACK (13.2.2.4) and must not be taken for the BYE's 200.
 * SIPp 3.6 aborted the callee on the retransmitted INVITE (the flaky 98/100 of the 5% loss test)
 * and ended the caller on the INVITE's 200 without its BYE ever being answered.
 */
import t from 'tap';
import { freePort } from '../../../helpers/ports';
import { startSipp } from '../../../helpers/sipp';
import { RawPeer, isReq, isRes, rawRequest, type SipRequest } from '../sip/fixtures/peer';
import type { SipMessage } from '../../../../src/engine/sip';

/** The peer's bounded wait, failing with what was missing rather than a bare timeout. */
async function expectMsg(p: Promise<SipMessage>, what: string): Promise<SipMessage> {
  try {
    return await p;
  } catch {
    throw new Error(`SIPp did not send ${what}`);
  }
}

/** Sends `text` every 500 ms (a UAC's Timer A) until `until` resolves; bounded by the caller's wait. */
function resendUntil(peer: RawPeer, text: string, port: number, until: Promise<unknown>): void {
  let done = false;
  until.then(() => { done = true; }, () => { done = true; });
  const tick = (): void => {
    if (done) return;
    peer.send(text, port);
    setTimeout(tick, 500);
  };
  tick();
}

/** The 2xx a UAS sends to `inv`, as text, so that it can be resent byte for byte. */
function ok200(inv: SipRequest, peerPort: number): string {
  const vias = inv.headers.getAll('via').map((v) => `Via: ${v}`);
  return [
    'SIP/2.0 200 OK',
    ...vias,
    `From: ${inv.get('from')}`,
    `To: ${inv.get('to')};tag=peer2xx`,
    `Call-ID: ${inv.get('call-id')}`,
    `CSeq: ${inv.get('cseq')}`,
    `Contact: <sip:peer@127.0.0.1:${peerPort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const toTagOf = (v: string | undefined): string => /;\s*tag=([^;>\s]+)/i.exec(v ?? '')?.[1] ?? '';

t.test('uas-basic.xml: a retransmitted INVITE after its 180 and 200 is absorbed, a retransmitted BYE answered again', async (t) => {
  const peer = await RawPeer.create();
  t.teardown(() => peer.close());
  const sippPort = await freePort();
  const sipp = startSipp({ scenario: 'uas-basic.xml', localPort: sippPort, args: ['-m', '1'], timeoutMs: 30000 });
  t.teardown(() => sipp.child.kill('SIGKILL'));

  const callId = `uas-retrans-${process.pid}`;
  const invite = rawRequest('INVITE', peer.port, sippPort, { callId, branch: 'z9hG4bKinv1' });
  const first200 = peer.waitFor(isRes(200, 'INVITE'), 15000);
  // Repeated until SIPp (just started) answers, as Timer A would.
  resendUntil(peer, invite, sippPort, first200);
  const ok = await expectMsg(first200, 'the 200 to the INVITE');
  t.ok(peer.count(isRes(180, 'INVITE')) >= 1, 'SIPp rang');

  // As if the 180 and the 200 had both been lost: Timer A resends the INVITE, byte for byte.
  const before = peer.count(isRes(200, 'INVITE'));
  peer.send(invite, sippPort);
  // SIPp's own 200 retransmission (retrans=500) must still come: the call was not aborted.
  await expectMsg(peer.waitFor(isRes(200, 'INVITE'), 8000, before), 'the 200 again after the retransmitted INVITE (call aborted?)');
  t.pass('the 200 is retransmitted after the retransmitted INVITE');

  const toTag = toTagOf(ok.get('to'));
  t.ok(toTag, `SIPp's To tag ${toTag}`);
  peer.send(rawRequest('ACK', peer.port, sippPort, { callId, cseq: 1, toTag, branch: 'z9hG4bKack1' }), sippPort);
  const bye = rawRequest('BYE', peer.port, sippPort, { callId, cseq: 2, toTag, branch: 'z9hG4bKbye1' });
  peer.send(bye, sippPort);
  await expectMsg(peer.waitFor(isRes(200, 'BYE'), 8000), 'the 200 to the BYE');
  // As if that 200 had been lost: Timer E resends the BYE; it must be answered again.
  peer.send(bye, sippPort);
  await expectMsg(peer.waitFor(isRes(200, 'BYE'), 8000, 1), 'the 200 again to the retransmitted BYE');
  t.pass('a retransmitted BYE gets its 200 again');

  const r = await sipp.done;
  t.equal(r.stats?.failed, 0, `no failed call ${r.errors.slice(0, 600)}`);
  t.equal(r.stats?.successful, 1, 'the call completed');
});

t.test('uac-basic.xml: a 2xx retransmitted after a lost ACK is ACKed again and is not the BYE\'s 200', async (t) => {
  const peer = await RawPeer.create();
  t.teardown(() => peer.close());
  const uacPort = await freePort();
  const sipp = startSipp({
    scenario: 'uac-basic.xml', remote: `127.0.0.1:${peer.port}`, localPort: uacPort,
    args: ['-m', '1', '-s', 'svc'], timeoutMs: 30000,
  });
  t.teardown(() => sipp.child.kill('SIGKILL'));

  const inv = (await expectMsg(peer.waitFor(isReq('INVITE'), 15000), 'the INVITE')) as SipRequest;
  const ok = ok200(inv, peer.port);
  peer.send(ok, uacPort);
  await expectMsg(peer.waitFor(isReq('ACK'), 8000), 'the ACK');

  // As if the ACK had been lost: the 2xx again (RFC 3261 13.3.1.4) -> a new ACK.
  peer.send(ok, uacPort);
  await expectMsg(peer.waitFor(isReq('ACK'), 8000, 1), 'a new ACK for the retransmitted 2xx');
  t.pass('re-ACKed during the pause before the BYE');

  // Still no ACK seen by the UAS when the BYE goes out: the 2xx again, with the BYE unanswered.
  await expectMsg(peer.waitFor(isReq('BYE'), 8000), 'the BYE');
  const acks = peer.count(isReq('ACK'));
  peer.send(ok, uacPort);
  await expectMsg(peer.waitFor(isReq('ACK'), 8000, acks), 'a new ACK for the 2xx retransmitted after the BYE');
  t.pass('re-ACKed after the BYE was sent');
  // The 2xx to the INVITE did not end the call: the unanswered BYE is retransmitted (Timer E).
  const byeAgain = (await expectMsg(peer.waitFor(isReq('BYE'), 8000, 1), 'the unanswered BYE again (call ended on the 2xx?)')) as SipRequest;
  t.equal(byeAgain.get('cseq'), peer.received.find(isReq('BYE'))?.get('cseq'), 'the same BYE, retransmitted');
  peer.send(okTo(byeAgain), uacPort);

  const r = await sipp.done;
  t.equal(r.stats?.failed, 0, `no failed call ${r.errors.slice(0, 600)}`);
  t.equal(r.stats?.successful, 1, 'the call completed on the BYE\'s own 200');
});

/** A 200 to a non-INVITE request, headers copied from it (RFC 3261 8.2.6.2). */
function okTo(req: SipRequest): string {
  return [
    'SIP/2.0 200 OK',
    ...req.headers.getAll('via').map((v) => `Via: ${v}`),
    `From: ${req.get('from')}`,
    `To: ${req.get('to')}`,
    `Call-ID: ${req.get('call-id')}`,
    `CSeq: ${req.get('cseq')}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
