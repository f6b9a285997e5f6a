import { createResponse, SipStack, type SipStackOptions } from '../../../../src/engine/sip';
import { freePort } from '../../../helpers/ports';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/**
 * A tiny UAS written directly on SipStack: INVITE -> 200 with SDP, BYE/OPTIONS -> 200, ACKs
 * ignored. Counts what it saw so tests can check it.
 */
export async function startUas(opts: Partial<SipStackOptions> = {}): Promise<{ stack: SipStack; port: number; counts: Record<string, number> }> {
  const counts: Record<string, number> = {};
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const stack = new SipStack({
      listen: [{ host: '127.0.0.1', port, transports: ['udp', 'tcp'] }],
      t1: 500, t2: 4000, t4: 5000, maxMessageBytes: 65535, maxHeaders: 128, ...opts,
    });
    stack.on('request', (req, ctx, tx) => {
      counts[req.method] = (counts[req.method] ?? 0) + 1;
      if (!tx) return;
      if (req.method === 'INVITE') {
        const res = createResponse(req, 200);
        const tp = ctx.source.transport === 'tcp' ? ';transport=tcp' : '';
        res.headers.append('Contact', `<sip:uas@127.0.0.1:${port}${tp}>`);
        res.headers.append('Content-Type', 'application/sdp');
        res.body = Buffer.from(SDP);
        tx.respond(res);
      } else {
        tx.respond(createResponse(req, 200));
      }
    });
    try {
      await stack.start();
      return { stack, port, counts };
    } catch (err) {
      await stack.close();
      if (attempt >= 4) throw err;
    }
  }
}
