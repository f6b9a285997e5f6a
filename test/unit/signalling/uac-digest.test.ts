import t from 'tap';
import { parseDigestCredentials } from '../../../src/signalling/auth/digest';
import { AuthOutcome, DigestVerifier } from '../../../src/signalling/auth/verifier';
import { answerChallenge, grantedExpires, parseChallenge, retryDelayMs } from '../../../src/signalling/uac/digest-client';

t.test('challenge parsing', async (t) => {
  const rows: [string, ReturnType<typeof parseChallenge>][] = [
    ['Digest realm="p.test", nonce="n1", algorithm=MD5', { realm: 'p.test', nonce: 'n1', algorithm: 'MD5', qopAuth: false, stale: false }],
    ['Digest realm="p", nonce="n", qop="auth,auth-int", opaque="o", stale=TRUE', { realm: 'p', nonce: 'n', algorithm: 'MD5', opaque: 'o', qopAuth: true, stale: true }],
    ['Digest realm="p", nonce="n", algorithm=SHA-256, qop="auth"', { realm: 'p', nonce: 'n', algorithm: 'SHA-256', qopAuth: true, stale: false }],
    ['Digest realm="p", nonce="n", qop="auth-int"', undefined],
    ['Digest realm="p", nonce="n", algorithm=AKAv1-MD5', undefined],
    ['Basic realm="p"', undefined],
    ['Digest nonce="n"', undefined],
  ];
  for (const [h, want] of rows) t.same(parseChallenge(h), want, h);
});

t.test('our UAC answer verifies with our registrar verifier', async (t) => {
  const v = new DigestVerifier({ secret: 's', nonceLifetimeSec: 60, maxTrackedNonces: 10 });
  const challenge = parseChallenge(v.challenge('p.test', 1000))!;
  t.ok(challenge.qopAuth);
  const header = answerChallenge({ challenge, username: 'u', password: 'pw', method: 'REGISTER', uri: 'sip:p.test', nc: 1, cnonce: 'abc' });
  t.match(header, /^Digest username="u", realm="p.test", nonce="[0-9a-f]+", uri="sip:p.test", response="[0-9a-f]{32}", algorithm=MD5, qop=auth, nc=00000001, cnonce="abc"$/);
  const creds = parseDigestCredentials(header)!;
  t.equal(await v.verify({ credentials: creds, realm: 'p.test', password: 'pw', method: 'REGISTER', requestUri: 'sip:p.test', nowSec: 1001 }), AuthOutcome.Ok);
  const noQop = answerChallenge({ challenge: { ...challenge, qopAuth: false }, username: 'u', password: 'pw', method: 'REGISTER', uri: 'sip:p.test', nc: 1 });
  t.notMatch(noQop, /qop|nc=|cnonce/, 'no qop offered: RFC 2069 answer');
});

t.test('retry delay: exponential, capped, equal jitter', async (t) => {
  const rows: [number, number, number][] = [
    // attempt, rand, expected
    [1, 0, 500], [1, 0.999999, 1000], [2, 0, 1000], [3, 0.5, 3000], [10, 0, 15000], [10, 1, 30000], [100, 0, 15000],
  ];
  for (const [attempt, rand, want] of rows) t.equal(retryDelayMs(attempt, 1000, 30000, rand), want, `attempt ${attempt} rand ${rand}`);
});

t.test('granted interval from a 200 OK', async (t) => {
  const ours = 'sip:trunk@10.0.0.1:5060';
  const rows: [string | undefined, string | undefined, number][] = [
    ['<sip:trunk@10.0.0.1:5060>;expires=120', undefined, 120],
    ['<sip:other@x>;expires=30, <sip:trunk@10.0.0.1:5060>;expires=90', '3600', 90],
    ['"Name, with comma" <sip:trunk@10.0.0.1:5060>;q=1;expires=45', undefined, 45],
    ['<sip:other@x>;expires=30', '600', 600],
    [undefined, undefined, 3600],
    ['<sip:trunk@10.0.0.1:5060>', 'bad', 3600],
  ];
  for (const [contact, expires, want] of rows) t.equal(grantedExpires(contact, expires, ours, 3600), want, `${contact} / ${expires}`);
});
