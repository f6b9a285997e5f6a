/**
 * RFC 3261 20.15: a response carrying a body carries its Content-Type. drachtio apps (and
 * srf.createB2BUA) answer with `{ body: sdp }` and rely on the server to label SDP, as
 * drachtio-server does; a phone receiving an unlabelled SDP may ignore it and send no media.
 */
import t from 'tap';
import { boundUdp } from '../../../helpers/ports';
import { connectSrf } from '../../../helpers/srf-apps/apps';
import { SECRET, startEngine } from '../../../helpers/srf-apps/harness';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

function invite(sipPort: number, localPort: number, callId: string): string {
  return [
    `INVITE sip:svc@127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:a@127.0.0.1>;tag=${callId}`,
    `To: <sip:svc@127.0.0.1:${sipPort}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:a@127.0.0.1:${localPort}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
}

t.test('an unlabelled SDP answer from the app is sent as application/sdp', async (t) => {
  const h = await startEngine();
  const srf = await connectSrf(h.drachtioPort, SECRET);
  const sock = await boundUdp();
  t.teardown(async () => {
    sock.close();
    srf.disconnect();
    await h.close();
  });
  srf.invite((_req, res) => {
    res.send(200, { body: SDP });
  });
  const port = sock.address().port;
  const ok = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no 200 within 5 s')), 5000);
    sock.on('message', (m) => {
      const text = m.toString();
      if (text.startsWith('SIP/2.0 200')) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
  sock.send(invite(h.sipPort, port, 'ct-1'), h.sipPort, '127.0.0.1');
  const res = await ok;
  const [head, body] = res.split('\r\n\r\n');
  t.match(head, /\r\nContent-Type: application\/sdp\r\n/i, 'Content-Type present');
  t.equal(body, SDP, 'the SDP is the body');
  const len = /\r\nContent-Length: (\d+)/i.exec(head);
  t.equal(Number(len?.[1]), Buffer.byteLength(SDP), 'Content-Length matches');
});
