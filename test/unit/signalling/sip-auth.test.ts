import t from 'tap';
import { buildAuthorization } from '../../../src/signalling/auth/digest';
import { FailedAuthLimiter } from '../../../src/signalling/auth/rate-limiter';
import { AuthDecision, SipAuthenticator, type AuthResult } from '../../../src/signalling/auth/sip-auth';
import { DigestVerifier } from '../../../src/signalling/auth/verifier';
import { MemoryDirectory } from '../../../src/directory/memory-directory';

function setup(now: { ms: number }): { auth: SipAuthenticator; limiter: FailedAuthLimiter; dir: MemoryDirectory } {
  const dir = new MemoryDirectory({
    accounts: [{ id: 'A', realm: 'a.test' }, { id: 'OFF', realm: 'off.test', enabled: false }],
    devices: [
      { id: 'd1', account_id: 'A', sip: { username: '1001', password: 'pw' } },
      { id: 'd2', account_id: 'A', sip: { username: '1002', password: 'pw' }, enabled: false },
      { id: 'd3', account_id: 'OFF', sip: { username: '3001', password: 'pw' } },
    ],
  });
  const limiter = new FailedAuthLimiter({ maxFailures: 3, windowMs: 60_000, blockMs: 60_000, maxSources: 100 });
  const verifier = new DigestVerifier({ secret: 'k', nonceLifetimeSec: 30, maxTrackedNonces: 100 });
  return { auth: new SipAuthenticator({ directory: dir, verifier, limiter, clock: () => now.ms }), limiter, dir };
}

const nonceOf = (r: AuthResult): string => (r.decision === AuthDecision.Challenge ? /nonce="([^"]+)"/.exec(r.challenge)?.[1] ?? '' : '');

t.test('authentication decisions', async (t) => {
  const now = { ms: 1_000_000 };
  const { auth } = setup(now);
  const base = { source: '10.0.0.1', method: 'INVITE', requestUri: 'sip:2000@a.test', realm: 'a.test' };
  const first = await auth.authenticate(base);
  t.equal(first.decision, AuthDecision.Challenge, 'no credentials: challenge');
  const nonce = nonceOf(first);
  const creds = (user: string, password: string, nc = 1): string => buildAuthorization({
    username: user, realm: 'a.test', password, method: 'INVITE', uri: 'sip:2000@a.test', nonce, qop: 'auth', nc: nc.toString(16).padStart(8, '0'), cnonce: 'c',
  });
  const ok = await auth.authenticate({ ...base, credentials: creds('1001', 'pw') });
  t.same(ok.decision === AuthDecision.Authenticated ? [ok.match.device.id, ok.match.account.id] : ok, ['d1', 'A']);
  const rows: [string, string, number, AuthDecision][] = [
    ['1001', 'bad', 2, AuthDecision.Forbidden],
    ['9999', 'pw', 3, AuthDecision.Forbidden],
    ['1002', 'pw', 4, AuthDecision.Forbidden],
  ];
  for (const [user, pw, nc, want] of rows) {
    t.equal((await auth.authenticate({ ...base, source: `10.0.1.${nc}`, credentials: creds(user, pw, nc) })).decision, want, `${user}/${pw}`);
  }
  t.equal((await auth.authenticate({ ...base, credentials: creds('1001', 'pw', 1) })).decision, AuthDecision.Challenge, 'replayed nc: new challenge');
  t.equal((await auth.authenticate({ ...base, credentials: 'Digest garbage' })).decision, AuthDecision.Forbidden, 'malformed');
  t.equal((await auth.authenticate({ ...base, credentials: creds('1001', 'pw', 9), expectedUser: '1002' })).decision, AuthDecision.Forbidden, 'AOR of another user');
  t.equal((await auth.authenticate(base)).decision, AuthDecision.Blocked, 'three failures from 10.0.0.1 blocked it');
  now.ms += 31_000;
  const stale = await auth.authenticate({ ...base, source: '10.0.2.1', credentials: creds('1001', 'pw', 10) });
  t.same(stale.decision === AuthDecision.Challenge ? [stale.stale, /stale=true/.test(stale.challenge)] : stale, [true, true], 'expired nonce, right password: stale=true');
});

t.test('a disabled account cannot authenticate', async (t) => {
  const now = { ms: 5_000_000 };
  const { auth } = setup(now);
  const base = { source: '10.0.0.2', method: 'REGISTER', requestUri: 'sip:off.test', realm: 'off.test' };
  const nonce = nonceOf(await auth.authenticate(base));
  const credentials = buildAuthorization({ username: '3001', realm: 'off.test', password: 'pw', method: 'REGISTER', uri: 'sip:off.test', nonce, qop: 'auth', nc: '00000001', cnonce: 'c' });
  t.equal((await auth.authenticate({ ...base, credentials })).decision, AuthDecision.Forbidden);
});

t.test('repeated failures block the source', async (t) => {
  const now = { ms: 9_000_000 };
  const { auth, limiter } = setup(now);
  const base = { source: '10.9.9.9', method: 'REGISTER', requestUri: 'sip:a.test', realm: 'a.test' };
  const nonce = nonceOf(await auth.authenticate(base));
  const bad = (nc: number): string => buildAuthorization({ username: '1001', realm: 'a.test', password: 'no', method: 'REGISTER', uri: 'sip:a.test', nonce, qop: 'auth', nc: `0000000${nc}`, cnonce: 'c' });
  const got: AuthDecision[] = [];
  for (let i = 1; i <= 4; i++) got.push((await auth.authenticate({ ...base, credentials: bad(i) })).decision);
  t.same(got, [AuthDecision.Forbidden, AuthDecision.Forbidden, AuthDecision.Forbidden, AuthDecision.Blocked]);
  t.equal((await auth.authenticate(base)).decision, AuthDecision.Blocked, 'not even challenged');
  t.ok(limiter.isBlocked('10.9.9.9', now.ms));
  t.equal((await auth.authenticate({ ...base, source: '10.9.9.8' })).decision, AuthDecision.Challenge, 'other sources unaffected');
});
