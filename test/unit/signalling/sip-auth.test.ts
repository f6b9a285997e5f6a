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
  const limiter = new FailedAuthLimiter({ maxFailures: 3, windowMs: 60_000, blockMs: 60_000, maxKeysPerSource: 8, maxEntries: 100 });
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
  now.ms += 31_000;
  const stale = await auth.authenticate({ ...base, source: '10.0.2.1', credentials: creds('1001', 'pw', 10) });
  t.same(stale.decision === AuthDecision.Challenge ? [stale.stale, /stale=true/.test(stale.challenge)] : stale, [true, true], 'expired nonce, right password: stale=true');
  const staleWrong = await auth.authenticate({ ...base, source: '10.0.2.1', credentials: creds('1001', 'bad', 11) });
  t.same(staleWrong.decision === AuthDecision.Challenge ? staleWrong.stale : staleWrong, false, 'expired nonce, wrong password: plain challenge');
});

t.test('a disabled account cannot authenticate', async (t) => {
  const now = { ms: 5_000_000 };
  const { auth } = setup(now);
  const base = { source: '10.0.0.2', method: 'REGISTER', requestUri: 'sip:off.test', realm: 'off.test' };
  const nonce = nonceOf(await auth.authenticate(base));
  const credentials = buildAuthorization({ username: '3001', realm: 'off.test', password: 'pw', method: 'REGISTER', uri: 'sip:off.test', nonce, qop: 'auth', nc: '00000001', cnonce: 'c' });
  t.equal((await auth.authenticate({ ...base, credentials })).decision, AuthDecision.Forbidden);
});

t.test('only a wrong password over a valid nonce of ours counts', async (t) => {
  // Each row is sent 6 times (maxFailures is 3) from its own source; then 1001 answers a fresh
  // challenge with the right password from that source. [what, credentials(nonce, i), decision each time, 1001 still gets in]
  const FORGED = `${'6'.repeat(8)}${'0'.repeat(16)}${'f'.repeat(32)}`;
  type Make = (nonce: string, i: number) => string | undefined;
  const auth1001 = (user: string, pw: string, nonceOverride?: string): Make => (nonce, i) => buildAuthorization({
    username: user, realm: 'a.test', password: pw, method: 'REGISTER', uri: 'sip:a.test', nonce: nonceOverride ?? nonce, qop: 'auth', nc: (i + 1).toString(16).padStart(8, '0'), cnonce: 'c',
  });
  const rows: [string, Make, AuthDecision, boolean][] = [
    ['no Authorization', () => undefined, AuthDecision.Challenge, true],
    ['unknown user, forged nonce', auth1001('9999', 'x', FORGED), AuthDecision.Challenge, true],
    ['known user, forged nonce', auth1001('1001', 'x', FORGED), AuthDecision.Challenge, true],
    ['unknown user, our nonce', auth1001('9999', 'x'), AuthDecision.Forbidden, true],
    ['replayed nonce-count', (nonce) => auth1001('1001', 'pw')(nonce, 0), AuthDecision.Challenge, true],
    ['malformed header', () => 'Digest username="1001"', AuthDecision.Forbidden, true],
    ['wrong password, our nonce', auth1001('1001', 'x'), AuthDecision.Forbidden, false],
  ];
  let n = 0;
  for (const [what, make, want, admitted] of rows) {
    const now = { ms: 20_000_000 };
    const { auth } = setup(now);
    const source = `10.1.0.${++n}`;
    const base = { source, method: 'REGISTER', requestUri: 'sip:a.test', realm: 'a.test' };
    const nonce = nonceOf(await auth.authenticate(base));
    if (what === 'replayed nonce-count') await auth.authenticate({ ...base, credentials: auth1001('1001', 'pw')(nonce, 0) });
    const got: AuthDecision[] = [];
    for (let i = 1; i <= 6; i++) {
      const c = make(nonce, i);
      got.push((await auth.authenticate({ ...base, ...(c !== undefined ? { credentials: c } : {}) })).decision);
    }
    t.same(got.slice(0, 3), [want, want, want], `${what}: answered ${want}`);
    const ch = await auth.authenticate({ ...base, expectedUser: '1001' });
    const right = buildAuthorization({ username: '1001', realm: 'a.test', password: 'pw', method: 'REGISTER', uri: 'sip:a.test', nonce: nonceOf(ch), qop: 'auth', nc: '00000001', cnonce: 'c' });
    const last = ch.decision === AuthDecision.Challenge ? await auth.authenticate({ ...base, credentials: right }) : ch;
    t.equal(last.decision === AuthDecision.Authenticated, admitted, `${what}: the right password from that source ${admitted ? 'still' : 'no longer'} gets in (${last.decision})`);
  }
});

t.test('failures block one user from one source; a success clears the count', async (t) => {
  const now = { ms: 9_000_000 };
  const { auth, limiter } = setup(now);
  const base = { source: '10.9.9.9', method: 'REGISTER', requestUri: 'sip:a.test', realm: 'a.test' };
  const nonce = nonceOf(await auth.authenticate(base));
  const as = (user: string, pw: string, nc: number): string => buildAuthorization({ username: user, realm: 'a.test', password: pw, method: 'REGISTER', uri: 'sip:a.test', nonce, qop: 'auth', nc: nc.toString(16).padStart(8, '0'), cnonce: 'c' });
  t.equal((await auth.authenticate({ ...base, credentials: as('1001', 'no', 1) })).decision, AuthDecision.Forbidden);
  t.equal((await auth.authenticate({ ...base, credentials: as('1001', 'no', 2) })).decision, AuthDecision.Forbidden);
  t.equal((await auth.authenticate({ ...base, credentials: as('1001', 'pw', 3) })).decision, AuthDecision.Authenticated, 'right password');
  t.equal((await auth.authenticate({ ...base, credentials: as('1001', 'no', 4) })).decision, AuthDecision.Forbidden, 'count was cleared: not blocked yet');
  const got: AuthDecision[] = [];
  for (let i = 5; i <= 8; i++) got.push((await auth.authenticate({ ...base, credentials: as('1001', 'no', i) })).decision);
  t.same(got, [AuthDecision.Forbidden, AuthDecision.Forbidden, AuthDecision.Blocked, AuthDecision.Blocked]);
  t.equal((await auth.authenticate({ ...base, expectedUser: '1001' })).decision, AuthDecision.Blocked, 'REGISTER for 1001 not even challenged');
  t.equal((await auth.authenticate({ ...base, claimedUser: '1001' })).decision, AuthDecision.Blocked, 'nor an INVITE from 1001');
  t.ok(await limiter.isBlocked('10.9.9.9', '1001@a.test', now.ms));
  t.equal((await auth.authenticate({ ...base, credentials: as('1001', 'pw', 20) })).decision, AuthDecision.Blocked, 'even with the right password while blocked');
  t.equal((await auth.authenticate({ ...base, expectedUser: '1003' })).decision, AuthDecision.Challenge, 'another user from that source is challenged');
  t.equal((await auth.authenticate({ ...base, source: '10.9.9.8', expectedUser: '1001' })).decision, AuthDecision.Challenge, '1001 from another source is challenged');
});
