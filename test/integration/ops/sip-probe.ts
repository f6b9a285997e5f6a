/**
 * One raw INVITE over UDP and its final response code: enough to see a draining node's 503
 * without a SIPp scenario (no authentication happens before the drain gate).
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

export async function inviteStatus(host: string, port: number, o: { user: string; realm: string; number: string }, timeoutMs = 5000): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  const local = sock.address().port;
  const id = randomBytes(8).toString('hex');
  const sdp = 'v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  const msg = [
    `INVITE sip:${o.number}@${o.realm} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${id};rport`,
    `From: <sip:${o.user}@${o.realm}>;tag=${id}`,
    `To: <sip:${o.number}@${o.realm}>`,
    `Call-ID: probe-${id}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:${o.user}@127.0.0.1:${local}>`,
    'Max-Forwards: 70',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no final response to the probe INVITE')), timeoutMs);
      sock.on('message', (buf) => {
        const m = /^SIP\/2\.0 (\d{3})/.exec(buf.toString());
        if (!m || Number(m[1]) < 200) return;
        clearTimeout(timer);
        const code = Number(m[1]);
        // ACK the non-2xx final response (RFC 3261 17.1.1.3) so the server transaction completes.
        const to = /^To:.*$/mi.exec(buf.toString())?.[0] ?? `To: <sip:${o.number}@${o.realm}>`;
        const ack = [
          `ACK sip:${o.number}@${o.realm} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${id};rport`,
          `From: <sip:${o.user}@${o.realm}>;tag=${id}`, to, `Call-ID: probe-${id}`, 'CSeq: 1 ACK', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
        ].join('\r\n');
        sock.send(ack, port, host, () => resolve(code));
      });
      sock.send(msg, port, host);
    });
  } finally {
    sock.close();
  }
}
