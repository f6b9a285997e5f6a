import t from 'tap';
import { planRegister, secondsLeft, type Binding, type ExpiryLimits, type RegisterInput } from '../../../src/signalling/registrar/bindings';
import { parseContactHeaders } from '../../../src/signalling/registrar/contact';

const limits: ExpiryLimits = { minExpires: 60, maxExpires: 3600, defaultExpires: 1800, maxContactsPerAor: 3 };
const base = (contacts: string[], o: Partial<RegisterInput> = {}): RegisterInput => ({
  aor: '1001@a.com', contacts: parseContactHeaders(contacts), callId: 'c1', cseq: 1,
  received: { address: '192.0.2.1', port: 40123, transport: 'udp' }, accountId: 'acc', deviceId: 'dev',
  username: '1001', realm: 'a.com', ...o,
});

/** Applies a sequence of REGISTERs; returns statuses and the contacts with seconds left. */
function run(steps: [RegisterInput, number][]): { results: (number | string)[]; state: Binding[] } {
  let state: Binding[] = [];
  const results: (number | string)[] = [];
  for (const [req, now] of steps) {
    const p = planRegister(state, req, now, limits);
    if (p.ok) { state = p.bindings; results.push(200); } else results.push(`${p.status} ${p.reason}`);
  }
  return { results, state };
}

t.test('expiry rules (RFC 3261 10.3 step 7)', async (t) => {
  const rows: [string, RegisterInput, number | string, number[]][] = [
    ['default when none given', base(['<sip:1001@h>']), 200, [1800]],
    ['Expires header', base(['<sip:1001@h>'], { expiresHeader: 120 }), 200, [120]],
    ['param beats header', base(['<sip:1001@h>;expires=300'], { expiresHeader: 120 }), 200, [300]],
    ['capped at max', base(['<sip:1001@h>'], { expiresHeader: 99999 }), 200, [3600]],
    ['too brief', base(['<sip:1001@h>'], { expiresHeader: 30 }), '423 Interval Too Brief', []],
    ['too brief param', base(['<sip:1001@h>;expires=59']), '423 Interval Too Brief', []],
    ['exactly min', base(['<sip:1001@h>;expires=60']), 200, [60]],
    ['garbage param -> default', base(['<sip:1001@h>;expires=abc']), 200, [1800]],
    ['zero on unknown contact: nothing', base(['<sip:1001@h>'], { expiresHeader: 0 }), 200, []],
  ];
  for (const [name, req, status, left] of rows) {
    const { results, state } = run([[req, 0]]);
    t.same(results, [status], name);
    t.same(state.map((b) => secondsLeft(b, 0)), left, `${name}: expiries`);
  }
  const p = planRegister([], base(['<sip:1001@h>'], { expiresHeader: 1 }), 0, limits);
  t.same(p, { ok: false, status: 423, reason: 'Interval Too Brief', headers: { 'Min-Expires': '60' } });
});

t.test('several contacts, refresh, removal, wildcard, ordering', async (t) => {
  const s1 = run([
    [base(['<sip:1001@h1>', '<sip:1001@h2>'], { expiresHeader: 600 }), 0],
    [base(['<sip:1001@h1>'], { expiresHeader: 900, cseq: 2 }), 1000],
  ]);
  t.same(s1.results, [200, 200]);
  t.same(s1.state.map((b) => [b.contact, secondsLeft(b, 1000)]), [['sip:1001@h2', 599], ['sip:1001@h1', 900]], 'refresh moves h1 to the end');
  t.equal(s1.state[1].registeredAt, 0, 'first registration time kept on refresh');

  const s2 = run([
    [base(['<sip:1001@h1>', '<sip:1001@h2>']), 0],
    [base(['<sip:1001@h1>;expires=0'], { cseq: 2 }), 1],
  ]);
  t.same(s2.state.map((b) => b.contact), ['sip:1001@h2'], 'expires=0 removes one');

  const s3 = run([
    [base(['<sip:1001@h1>', '<sip:1001@h2>']), 0],
    [base(['*'], { expiresHeader: 0, cseq: 2 }), 1],
  ]);
  t.same(s3.results, [200, 200]);
  t.same(s3.state, [], '* removes all');

  t.same(run([[base(['*'], { expiresHeader: 60 }), 0]]).results, ['400 Wildcard Contact requires Expires: 0']);
  t.same(run([[base(['*']), 0]]).results, ['400 Wildcard Contact requires Expires: 0']);

  const s4 = run([
    [base(['<sip:1001@h1>'], { cseq: 5 }), 0],
    [base(['<sip:1001@h1>;expires=0'], { cseq: 4 }), 1],
    [base(['<sip:1001@h1>;expires=0'], { cseq: 5 }), 2],
    [base(['*'], { expiresHeader: 0, cseq: 3 }), 3],
    [base(['<sip:1001@h1>;expires=0'], { callId: 'other', cseq: 1 }), 4],
  ]);
  t.same(s4.results, [200, '500 Out Of Order CSeq', '500 Out Of Order CSeq', '500 Out Of Order CSeq', 200],
    'same Call-ID needs a higher CSeq; another Call-ID replaces');
  t.same(s4.state, []);

  const s5 = run([
    [base(['<sip:1001@h1>', '<sip:1001@h2>', '<sip:1001@h3>']), 0],
    [base(['<sip:1001@h4>'], { callId: 'c2' }), 10],
  ]);
  t.same(s5.state.map((b) => b.contact), ['sip:1001@h2', 'sip:1001@h3', 'sip:1001@h4'], 'bounded per AOR, oldest dropped');

  const s6 = run([
    [base(['<sip:1001@h1>'], { expiresHeader: 60 }), 0],
    [base(['<sip:1001@h2>'], { callId: 'c2', expiresHeader: 60 }), 60_000],
  ]);
  t.same(s6.state.map((b) => b.contact), ['sip:1001@h2'], 'expired bindings are dropped');

  const s7 = run([[base(['<sip:1001@h1>;expires=60', '<sip:1001@h2>;expires=10']), 0]]);
  t.same(s7, { results: ['423 Interval Too Brief'], state: [] }, 'all or nothing');
});

t.test('binding keeps received address, instance and q', async (t) => {
  const { state } = run([[base(['<sip:1001@10.0.0.9:5062>;+sip.instance="<urn:uuid:abc>";reg-id=1;q=0.7'], { userAgent: 'UA/1' }), 0]]);
  t.same(state.map((b) => [b.received, b.instanceId, b.regId, b.q, b.userAgent]),
    [[{ address: '192.0.2.1', port: 40123, transport: 'udp' }, 'urn:uuid:abc', '1', 0.7, 'UA/1']]);
});
