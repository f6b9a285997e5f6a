import { createHash } from 'node:crypto';
import t from 'tap';
import {
  buildAuthorization, buildChallenge, checkNonce, computeDigestResponse, createNonce, NonceState,
  parseAuthHeader, parseDigestCredentials,
} from '../../../src/signalling/auth/digest';
import { AuthOutcome, DigestVerifier, NonceCounter } from '../../../src/signalling/auth/verifier';
import { nonceWindowContract } from './nonce-window-cases';

t.test('request-digest matches the RFC examples', async (t) => {
  // RFC 2617 section 3.5.
  t.equal(computeDigestResponse({
    username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET',
    uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
  }), '6629fae49393a05397450978507c4ef1');
  // RFC 7616 section 3.9.1, SHA-256.
  t.equal(computeDigestResponse({
    algorithm: 'SHA-256', username: 'Mufasa', realm: 'http-auth@example.org', password: 'Circle of Life',
    method: 'GET', uri: '/dir/index.html', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth',
    nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  }), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  // RFC 2069 style, no qop: MD5(HA1:nonce:HA2).
  t.equal(computeDigestResponse({
    username: 'a', realm: 'r', password: 'p', method: 'REGISTER', uri: 'sip:r', nonce: 'n',
  }), computeRef('a:r:p', 'REGISTER:sip:r', 'n'));
});

function computeRef(a1: string, a2: string, nonce: string): string {
  const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
  return md5(`${md5(a1)}:${nonce}:${md5(a2)}`);
}

t.test('auth header parsing', async (t) => {
  const rows: [string, string, Record<string, string>][] = [
    ['Digest realm="a.com", nonce="xyz", qop="auth"', 'Digest', { realm: 'a.com', nonce: 'xyz', qop: 'auth' }],
    ['Digest username="bob",realm="r",uri="sip:r",response="ab",nc=00000001,cnonce="c"', 'Digest',
      { username: 'bob', realm: 'r', uri: 'sip:r', response: 'ab', nc: '00000001', cnonce: 'c' }],
    ['digest  Realm="with, comma", NONCE=abc', 'digest', { realm: 'with, comma', nonce: 'abc' }],
    ['Digest username="a\\"b"', 'Digest', { username: 'a"b' }],
    ['', '', {}],
  ];
  for (const [input, scheme, params] of rows) t.same(parseAuthHeader(input), { scheme, params }, input);
  t.equal(parseDigestCredentials('Basic dXNlcjpwYXNz'), undefined, 'non-digest scheme');
  t.equal(parseDigestCredentials('Digest username="a", realm="r", nonce="n", uri="sip:r"'), undefined, 'no response');
});

t.test('stateless nonce: valid, stale, forged, other realm, future', async (t) => {
  const n = createNonce('s3cret', 'a.com', 1000, '0011223344556677');
  t.match(n, /^000003e80011223344556677[0-9a-f]{32}$/);
  const rows: [string, string, string, number, NonceState][] = [
    ['s3cret', 'a.com', n, 1000, NonceState.Valid],
    ['s3cret', 'A.COM', n, 1300, NonceState.Valid],
    ['s3cret', 'a.com', n, 1301, NonceState.Stale],
    ['other', 'a.com', n, 1000, NonceState.Invalid],
    ['s3cret', 'b.com', n, 1000, NonceState.Invalid],
    ['s3cret', 'a.com', n.slice(0, -1) + (n.endsWith('0') ? '1' : '0'), 1000, NonceState.Invalid],
    ['s3cret', 'a.com', 'garbage', 1000, NonceState.Invalid],
    ['s3cret', 'a.com', n, 990, NonceState.Invalid],
  ];
  for (const [secret, realm, nonce, now, want] of rows) {
    t.equal(checkNonce(secret, realm, nonce, now, 300), want, `${secret} ${realm} ${now}`);
  }
});

t.test('challenge text', async (t) => {
  t.equal(buildChallenge({ realm: 'a.com', nonce: 'N' }), 'Digest realm="a.com", nonce="N", algorithm=MD5, qop="auth"');
  t.equal(buildChallenge({ realm: 'a.com', nonce: 'N', stale: true }),
    'Digest realm="a.com", nonce="N", algorithm=MD5, qop="auth", stale=true');
});

t.test('verifier outcomes', async (t) => {
  const v = new DigestVerifier({ secret: 'k', nonceLifetimeSec: 60, maxTrackedNonces: 1000 });
  const nonce = /nonce="([^"]+)"/.exec(v.challenge('a.com', 5000))?.[1] ?? '';
  t.ok(nonce.length > 0);
  const answer = (o: { password?: string; nc?: string; uri?: string; realm?: string; method?: string; n?: string }): string =>
    buildAuthorization({
      username: '1001', realm: o.realm ?? 'a.com', password: o.password ?? 'pw', method: o.method ?? 'REGISTER',
      uri: o.uri ?? 'sip:a.com', nonce: o.n ?? nonce, qop: 'auth', nc: o.nc ?? '00000001', cnonce: 'cn',
    });
  const verify = (hdr: string, now = 5010, realm = 'a.com'): Promise<AuthOutcome> => v.verify({
    credentials: parseDigestCredentials(hdr)!, realm, password: 'pw', method: 'REGISTER', requestUri: 'sip:a.com', nowSec: now,
  });
  t.equal(await verify(answer({})), AuthOutcome.Ok);
  t.equal(await verify(answer({})), AuthOutcome.Replay, 'same nc again');
  t.equal(await verify(answer({ nc: '00000002' })), AuthOutcome.Ok, 'higher nc');
  t.equal(await verify(answer({ nc: '00000002' })), AuthOutcome.Replay);
  t.equal(await verify(answer({ password: 'wrong', nc: '00000003' })), AuthOutcome.BadResponse);
  t.equal(await verify(answer({ nc: '00000009' }), 5061), AuthOutcome.Stale, 'right password, expired nonce');
  t.equal(await verify(answer({ password: 'wrong', nc: '0000000a' }), 5061), AuthOutcome.ExpiredNonce, 'wrong password never learns stale (and is told apart from a guess on a valid nonce)');
  t.equal(await verify(answer({ nc: '0000000a' }).replace(/cnonce="[^"]*"/, '')), AuthOutcome.Malformed, 'qop=auth without cnonce');
  t.equal(await verify(answer({ uri: 'sip:127.0.0.1:5060', nc: '0000000b' })), AuthOutcome.Ok, 'next-hop address as digest-uri (SIPp does this)');
  t.equal(await verify(answer({ uri: '/index.html', nc: '0000000f' })), AuthOutcome.UriMismatch, 'not a SIP URI');
  t.equal(await verify(answer({ realm: 'b.com', nc: '0000000c' })), AuthOutcome.RealmMismatch);
  t.equal(await verify(answer({ n: 'ffffffff00112233445566770123456789abcdef0123456789abcdef' })), AuthOutcome.BadNonce);
  t.equal(await verify(answer({}).replace('algorithm=MD5', 'algorithm=SHA-512-256')), AuthOutcome.Unsupported);
  t.equal(await verify(answer({ nc: '0000000d' }).replace('qop=auth', 'qop=auth-int')), AuthOutcome.Unsupported);
  const noQop = `Digest username="1001", realm="a.com", nonce="${nonce}", uri="sip:a.com", response="${
    computeDigestResponse({ username: '1001', realm: 'a.com', password: 'pw', method: 'REGISTER', uri: 'sip:a.com', nonce })}"`;
  t.equal(await verify(noQop), AuthOutcome.Ok, 'RFC 2069 clients without qop are accepted');
  t.equal(await verify(answer({ method: 'INVITE', nc: '0000000e' })), AuthOutcome.BadResponse, 'method is covered by the digest');
});

t.test('nonce counter is bounded and forgets the least recent', async (t) => {
  const c = new NonceCounter(3);
  t.ok(await c.accept('a', 1));
  t.ok(await c.accept('b', 1));
  t.ok(await c.accept('c', 1));
  t.ok(await c.accept('a', 2), 'touching a makes b the oldest');
  t.ok(await c.accept('d', 1));
  t.equal(c.size, 3);
  t.notOk(await c.accept('a', 2), 'a is still tracked');
  t.ok(await c.accept('b', 1), 'b was forgotten');
});

nonceWindowContract(t, 'memory', async () => new NonceCounter(100));
