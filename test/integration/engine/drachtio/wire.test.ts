/**
 * The wire protocol against the running engine, with a raw TCP client where srf would hide the
 * behaviour: bad secret, unsupported `proxy`, ping, garbage framing, unknown transaction, and
 * an app that disconnects with a call ringing and one in a dialog.
 */
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { FrameDecoder, encodeFrame } from '../../../../src/engine/drachtio/framing';
import { freePort } from '../../../helpers/ports';
import { runSipp, startSipp } from '../../../helpers/sipp';
import { connectSrf, newCounters } from '../../../helpers/srf-apps/apps';
import { SECRET, startEngine, waitFor, type EngineHandle } from '../../../helpers/srf-apps/harness';

let h: EngineHandle;
t.before(async () => {
  h = await startEngine();
});
t.teardown(() => h.close());

class RawClient {
  readonly replies: string[] = [];
  closed = false;
  private readonly dec = new FrameDecoder();
  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => this.replies.push(...this.dec.push(d)));
    sock.on('close', () => { this.closed = true; });
    sock.on('error', () => undefined);
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(payload: string): void {
    this.sock.write(encodeFrame(payload));
  }

  /** Waits for the reply to msgId (bounded) and returns its tokens after `response|<msgId>|`. */
  async reply(msgId: string): Promise<string[]> {
    const find = (): string | undefined => this.replies.find((r) => r.split('|')[2] === msgId);
    await waitFor(() => find() !== undefined || this.closed, 5000);
    const r = find();
    return r ? r.split('\r\n')[0].split('|').slice(3) : [];
  }
}

t.test('bad secret is rejected and the connection closed', async (t) => {
  const c = await RawClient.open(h.drachtioPort);
  c.send('m1|authenticate|wrong|');
  t.same(await c.reply('m1'), ['NOK', 'incorrect secret']);
  t.ok(await waitFor(() => c.closed, 5000), 'closed');
  await t.rejects(connectSrf(h.drachtioPort, 'nope'), 'srf sees the failure');
});

t.test('commands before authenticate close the connection', async (t) => {
  const c = await RawClient.open(h.drachtioPort);
  c.send('m1|route|invite');
  t.ok(await waitFor(() => c.closed, 5000));
});

t.test('garbage framing closes the connection', async (t) => {
  const c = await RawClient.open(h.drachtioPort);
  c.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.ok(await waitFor(() => c.closed, 5000));
});

t.test('authenticated: ping, proxy, unknown commands, unknown transaction', async (t) => {
  const c = await RawClient.open(h.drachtioPort);
  c.send('a|authenticate|' + SECRET + '|tag1');
  const auth = await c.reply('a');
  t.equal(auth[0], 'OK');
  t.match(auth[1], new RegExp(`udp/127\\.0\\.0\\.1:${h.sipPort}`), 'hostports');
  t.match(auth[2], /^v\d+\.\d+\.\d+/, 'a version srf can parse');
  c.send('p|ping');
  t.same(await c.reply('p'), ['OK', 'pong']);
  c.send('x|proxy|txn|remainInDialog|fullResponse||serial|||sip:a@127.0.0.1\r\nINVITE sip:a@127.0.0.1 SIP/2.0\r\n\r\n');
  t.same(await c.reply('x'), ['NOK', 'proxy is not supported by this engine']);
  c.send('y|frobnicate|1');
  t.same(await c.reply('y'), ['NOK', 'Unknown message type: frobnicate']);
  c.send('z|sip|no-such-txn|\r\nSIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n');
  t.same(await c.reply('z'), ['NOK', 'Response not sent due to unknown transaction']);
  c.send('d|sip||no-such-dialog\r\nBYE sip:placeholder SIP/2.0\r\n\r\n');
  t.same(await c.reply('d'), ['NOK', 'unable to find dialog for dialog id no-such-dialog']);
  c.send(`l|sip||\r\nOPTIONS sip:x@127.0.0.1:${h.sipPort} SIP/2.0\r\n\r\n`);
  t.same(await c.reply('l'), ['NOK', 'can not send request to myself']);
  t.notOk(c.closed, 'errors do not cost the connection');
  c.sock.destroy();
});

t.test('app disconnect: ringing call answered 503, dialog forgotten, routes removed', async (t) => {
  const srf = await connectSrf(h.drachtioPort, SECRET);
  const c = newCounters();
  let dropNext = false;
  srf.invite(async (req, res) => {
    c.invites++;
    if (dropNext) {
      // leave the call ringing and go away
      res.send(180);
      setTimeout(() => srf.disconnect(), 100);
      return;
    }
    await srf.createUAS(req, res, { localSdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n' });
    c.answered++;
  });
  // One answered call that stays up (the SIPp caller waits for a BYE that never comes).
  const stay = startSipp({
    scenario: 'uac-wait-bye.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
    args: ['-m', '1'], timeoutMs: 20000,
  });
  t.ok(await waitFor(() => h.engine.drachtio.stats().dialogs === 1), 'dialog up');
  dropNext = true;
  const ringing = await runSipp({
    scenario: 'uac-busy.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
    args: ['-m', '1'], timeoutMs: 20000,
  });
  t.equal(ringing.stats?.failed, 1, 'the ringing call got a final failure (503) instead of hanging');
  t.match(ringing.errors, /503/, 'the final response was 503');
  t.ok(await waitFor(() => h.engine.drachtio.stats().apps === 0));
  const s = h.engine.drachtio.stats();
  t.equal(s.dialogs, 0, 'dialogs of the app are gone');
  t.equal(s.serverTransactions, 0, 'pending transactions of the app are gone');
  stay.child.kill('SIGKILL');
  await stay.done;
});
