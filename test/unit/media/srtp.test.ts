import t from 'tap';
import { encryptionOf, legProtocol, offeredProtocol, type SrtpMode } from '../../../src/media/srtp';
import { calleeSrtpMode } from '../../../src/calls/srtp-mode';
import { CalleeKind, type Callee } from '../../../src/signalling/direction';

const sdp = (proto: string, extra = ''): string =>
  `v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 ${proto} 0 8\r\n${extra}`;

t.test('offeredProtocol / encryptionOf read the first audio m= line and the key attributes', async (t) => {
  t.equal(offeredProtocol(sdp('RTP/AVP')), 'RTP/AVP');
  t.equal(offeredProtocol(sdp('RTP/SAVP', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n')), 'RTP/SAVP');
  t.equal(offeredProtocol(sdp('UDP/TLS/RTP/SAVP')), 'UDP/TLS/RTP/SAVP');
  t.equal(offeredProtocol('v=0\r\nm=video 5000 RTP/AVP 96\r\nm=audio 4000/2 RTP/SAVPF 0\r\n'), 'RTP/SAVPF');
  t.equal(offeredProtocol('v=0\r\n'), undefined);
  t.same(encryptionOf(sdp('RTP/SAVP', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n')), { sdes: true, dtls: false });
  t.same(encryptionOf(sdp('UDP/TLS/RTP/SAVP', 'a=fingerprint:sha-256 AA:BB\r\n')), { sdes: false, dtls: true });
});

t.test('legProtocol: the callee leg profile per mode', async (t) => {
  const cases: [SrtpMode, string | undefined, string][] = [
    ['none', 'RTP/SAVP', 'RTP/AVP'],
    ['sdes', 'RTP/AVP', 'RTP/SAVP'],
    ['dtls', 'RTP/AVP', 'UDP/TLS/RTP/SAVP'],
    ['passthrough', 'RTP/SAVP', 'RTP/SAVP'],
    ['passthrough', undefined, 'RTP/AVP'],
  ];
  for (const [mode, caller, want] of cases) t.equal(legProtocol(mode, caller), want, `${mode} from ${String(caller)}`);
});

t.test('calleeSrtpMode: trunk media.srtp, device encryption methods, else none', async (t) => {
  const device = (encryption?: string[]): Callee => ({ kind: CalleeKind.Device, device: { id: 'd', account_id: 'a', sip: { username: 'u', password: 'p' }, ...(encryption ? { encryption } : {}) } });
  const trunk = (srtp?: 'none' | 'sdes' | 'dtls' | 'passthrough'): Callee => ({ kind: CalleeKind.Resource, number: '1', resources: [{ id: 'r', account_id: 'a', gateways: [], rules: [], ...(srtp ? { srtp } : {}) }] });
  const cases: [Callee, SrtpMode][] = [
    [device(), 'none'],
    [device(['srtp']), 'sdes'],
    [device(['srtp', 'dtls']), 'dtls'],
    [trunk(), 'none'],
    [trunk('sdes'), 'sdes'],
    [trunk('passthrough'), 'passthrough'],
    [{ kind: CalleeKind.User, user: { id: 'u', account_id: 'a' } }, 'none'],
  ];
  for (const [c, want] of cases) t.equal(calleeSrtpMode(c), want, JSON.stringify(c).slice(0, 120));
});
