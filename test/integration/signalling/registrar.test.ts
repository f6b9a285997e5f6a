/**
 * Registrar and call authentication on the real embedded engine with SIPp as the phones:
 * REGISTER with the right and the wrong password, several contacts and unregister, 423,
 * binding expiry; INVITE with a challenge, with a wrong password, from an unknown source, from a
 * trunk address; a rate-limited (source, user).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { freePort } from '../../helpers/ports';
import { runSipp, type SippResult } from '../../helpers/sipp';
import { CallerKind, routeTargets } from '../../../src/signalling';
import { csv, startRig, type Rig } from './setup';

let rig: Rig;
const work = mkdtempSync(join(tmpdir(), 'sig-'));
t.before(async () => {
  rig = await startRig({ registrar: { minExpires: 60, maxExpires: 3600, defaultExpires: 600 }, rateLimit: { maxFailures: 1000 } });
});
t.teardown(async () => {
  await rig.close();
  rmSync(work, { recursive: true, force: true });
});

async function sipp(scenario: string, rows: string[][], localPort?: number, extra: string[] = []): Promise<SippResult> {
  return runSipp({
    scenario, remote: `127.0.0.1:${rig.sipPort}`, localPort: localPort ?? await freePort(),
    // SIPp answers challenges with -au/-ap (it does not expand [fieldN] inside [authentication]).
    args: ['-m', String(rows.length), '-inf', csv(work, `${scenario}-${Date.now()}.csv`, rows),
      '-au', rows[0][0], '-ap', rows[0][2], ...extra],
    timeoutMs: 30000,
  });
}

type TapTest = Test;
const okOne = (t: TapTest, r: SippResult, what: string): void => ok(t, r, 1, what);
const ok = (t: TapTest, r: SippResult, n: number, what: string): void => {
  t.equal(r.stats?.successful, n, `${what}: SIPp scenario passed ${r.errors}`);
  t.equal(r.stats?.failed, 0, `${what}: nothing failed`);
};

t.test('REGISTER: right password, two contacts, unregister one, expiry', async (t) => {
  const p1 = await freePort();
  const p2 = await freePort();
  okOne(t, await sipp('register_auth.xml', [['1001', 'a.test', 'secret1001', '300']], p1), 'first contact');
  okOne(t, await sipp('register_auth.xml', [['1001', 'a.test', 'secret1001', '99999']], p2), 'second contact, capped');
  const regs = await rig.signalling.registrations('acc-a');
  t.same(regs.map((r) => [r.authorizing_id, r.owner_id, r.username, r.realm, r.source_ip, r.source_port, r.transport]).sort(),
    [['dev-1001', 'user-1', '1001', 'a.test', '127.0.0.1', p1, 'udp'], ['dev-1001', 'user-1', '1001', 'a.test', '127.0.0.1', p2, 'udp']].sort(),
    'both contacts bound to the device, with the received address');
  const byPort = new Map(regs.map((r) => [r.source_port, r.expires]));
  t.ok((byPort.get(p1) ?? 0) > 290 && (byPort.get(p1) ?? 0) <= 300, `requested 300 s kept (${byPort.get(p1)})`);
  t.ok((byPort.get(p2) ?? 0) > 3590 && (byPort.get(p2) ?? 0) <= 3600, `99999 s capped at max 3600 (${byPort.get(p2)})`);
  t.same(await rig.signalling.registrations('acc-b'), [], 'other account sees none');

  // Expiry: the store, asked as of 301 s later, no longer holds the 300 s contact.
  const later = await rig.signalling.bindings.listByAccount('acc-a', Date.now() + 301_000);
  t.same(later.map((b) => b.received.port), [p2], 'the 300 s binding expires, the other stays');

  // Unregister the second contact with Expires: 0 from the same address; the 200 still lists the first.
  okOne(t, await sipp('register_auth.xml', [['1001', 'a.test', 'secret1001', '0']], p2), 'unregister');
  t.same((await rig.signalling.registrations('acc-a')).map((r) => r.source_port), [p1], 'only the first contact left');
});

t.test('REGISTER with a Path (RFC 3327): stored, returned, and calls to the contact go through it', async (t) => {
  const port = await freePort();
  okOne(t, await sipp('register_auth_path.xml', [['2001', 'b.test', 'secret2001', '300', '127.0.0.1:5999']], port), 'Path returned in the 200');
  const bindings = await rig.signalling.bindings.listByDevice('dev-2001', Date.now());
  const path = `<sip:127.0.0.1:5999;lr;received=sip:127.0.0.1:${port}>`;
  t.same(bindings.map((b) => b.path), [[path]], 'the Path is kept with the binding');
  t.same(routeTargets(bindings).map((r) => [r.proxy, r.route]), [['sip:127.0.0.1:5999', path]], 'calls go to the edge with the Path as Route');
  okOne(t, await sipp('register_auth_unregister_all.xml', [['2001', 'b.test', 'secret2001', '0']], port), 'cleaned up');
});

t.test('REGISTER over TCP keeps the transport; Contact: * removes every binding', async (t) => {
  okOne(t, await sipp('register_auth.xml', [['1001', 'a.test', 'secret1001', '300']], undefined, ['-t', 't1']), 'tcp register');
  const regs = await rig.signalling.registrations('acc-a');
  t.ok(regs.some((r) => r.transport === 'tcp'), `a tcp binding: ${JSON.stringify(regs.map((r) => r.transport))}`);
  t.ok(regs.length >= 2, 'with the udp one from before');
  okOne(t, await sipp('register_auth_unregister_all.xml', [['1001', 'a.test', 'secret1001', '0']]), 'unregister all');
  t.same(await rig.signalling.registrations('acc-a'), [], 'no binding left');
});

t.test('REGISTER: wrong password and unknown user get 403, too brief gets 423', async (t) => {
  const before = (await rig.signalling.registrations('acc-a')).length;
  okOne(t, await sipp('register_auth_fail.xml', [['1001', 'a.test', 'wrong', '300']]), 'wrong password');
  okOne(t, await sipp('register_auth_fail.xml', [['9999', 'a.test', 'secret1001', '300']]), 'unknown user');
  okOne(t, await sipp('register_auth_fail.xml', [['2001', 'a.test', 'secret2001', '300']]), 'device of another realm');
  okOne(t, await sipp('register_auth_too_brief.xml', [['1001', 'a.test', 'secret1001', '10']]), '423 with Min-Expires');
  t.equal((await rig.signalling.registrations('acc-a')).length, before, 'no binding written');
});

t.test('INVITE: challenged device call, wrong password, unknown source', async (t) => {
  rig.callers.length = 0;
  okOne(t, await sipp('invite_auth.xml', [['1001', 'a.test', 'secret1001', '2000']]), 'authenticated call');
  t.equal(rig.callers.length, 1);
  const c = rig.callers[0];
  t.equal(c?.kind, CallerKind.Device);
  if (c?.kind === CallerKind.Device) {
    t.same([c.account.id, c.device.id, c.owner?.id], ['acc-a', 'dev-1001', 'user-1'], 'bound to device, owner and account');
  }
  okOne(t, await sipp('invite_auth_fail.xml', [['1001', 'a.test', 'nope', '2000']]), 'wrong password -> 403');
  okOne(t, await sipp('invite_auth_refused.xml', [['1001', 'unknown.test', 'x', '2000']]), 'unknown source -> 403 without challenge');
  t.equal(rig.callers.length, 1, 'refused INVITEs never reach the call handler');
});

t.test('INVITE from a trunk address is accepted as that trunk', async (t) => {
  rig.callers.length = 0;
  rig.directory.resources.push({ id: 'res-1', account_id: 'acc-b', gateways: [{ server: '198.51.100.7' }], rules: [], inbound_ips: ['127.0.0.1'] });
  try {
    const r = await runSipp({
      scenario: 'uac-basic.xml', remote: `127.0.0.1:${rig.sipPort}`, localPort: await freePort(),
      args: ['-m', '1', '-s', '+15550100'], timeoutMs: 30000,
    });
    ok(t, r, 1, 'trunk call without a challenge');
    const c = rig.callers[0];
    t.equal(c?.kind, CallerKind.Trunk);
    if (c?.kind === CallerKind.Trunk) t.same([c.resource.id, c.account.id, c.sourceAddress], ['res-1', 'acc-b', '127.0.0.1']);
    // A phone sharing the trunk's address (same host, another port) is still challenged as a device.
    okOne(t, await sipp('invite_auth.xml', [['1001', 'a.test', 'secret1001', '2000']]), 'device call from the trunk address');
    t.same(rig.callers.map((x) => x.kind), [CallerKind.Trunk, CallerKind.Device]);
  } finally {
    rig.directory.resources.length = 0;
  }
});

t.test('a rate-limited (source, user) gets 403 without a challenge', async (t) => {
  const now = Date.now();
  for (let i = 0; i < 1000; i++) await rig.signalling.limiter.recordFailure('127.0.0.1', '1001@a.test', now);
  t.ok(await rig.signalling.limiter.isBlocked('127.0.0.1', '1001@a.test', Date.now()));
  // A known domain would normally be challenged (407); blocked, it is refused outright.
  okOne(t, await sipp('invite_auth_refused.xml', [['1001', 'a.test', 'secret1001', '2000']]), 'blocked INVITE');
  okOne(t, await sipp('register_auth_refused.xml', [['1001', 'a.test', 'secret1001', '300']]), 'blocked REGISTER');
});
