/**
 * Who the failed-authentication limiter may lock out, on the real embedded engine with SIPp as
 * the phones and the default limits (10 failures in 60 s block for 300 s): REGISTERs with a
 * forged nonce count nothing, however many; wrong passwords over our own nonces block that user
 * from that address, and no one else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { FailedAuthLimiter } from '../../../src/signalling/auth/rate-limiter';
import { freePort } from '../../helpers/ports';
import { runSipp, type SippResult } from '../../helpers/sipp';
import { csv, startRig, type Rig } from './setup';

let rig: Rig;
const work = mkdtempSync(join(tmpdir(), 'lockout-'));
t.before(async () => {
  rig = await startRig();
});
t.teardown(async () => {
  await rig.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs `scenario` `count` times as user;realm;password from 127.0.0.1. */
async function sipp(scenario: string, row: [string, string, string], count = 1): Promise<SippResult> {
  return runSipp({
    scenario, remote: `127.0.0.1:${rig.sipPort}`, localPort: await freePort(),
    args: ['-m', String(count), '-inf', csv(work, `${scenario}-${Date.now()}.csv`, [[...row, '300']]), '-au', row[0], '-ap', row[2]],
    timeoutMs: 30000,
  });
}

function passed(t: Test, r: SippResult, what: string, n = 1): void {
  t.equal(r.stats?.successful, n, `${what}: ${n} passed ${r.errors}`);
  t.equal(r.stats?.failed, 0, `${what}: none failed`);
}

t.test('20 REGISTERs with a forged nonce do not lock out a phone at the same address', async (t) => {
  passed(t, await sipp('register_forged_nonce.xml', ['9999', 'a.test', 'x'], 20), 'forged nonce, unknown user: 401 each time', 20);
  passed(t, await sipp('register_forged_nonce.xml', ['1001', 'a.test', 'x'], 20), 'forged nonce, the real user: 401 each time', 20);
  const limiter = rig.signalling.limiter;
  t.equal(limiter instanceof FailedAuthLimiter ? limiter.size : -1, 0, 'nothing was counted');
  passed(t, await sipp('register_auth.xml', ['1001', 'a.test', 'secret1001']), 'the legitimate phone registers');
});

t.test('10 wrong passwords for X over our nonces block X from that address, not Y', async (t) => {
  passed(t, await sipp('register_auth_fail.xml', ['1001', 'a.test', 'wrong'], 10), 'ten wrong passwords: 401 then 403 each', 10);
  t.ok(await rig.signalling.limiter.isBlocked('127.0.0.1', '1001@a.test', Date.now()), '1001 blocked from 127.0.0.1');
  passed(t, await sipp('register_auth_refused.xml', ['1001', 'a.test', 'secret1001']), 'X: 403 without a challenge');
  passed(t, await sipp('register_auth.xml', ['2001', 'b.test', 'secret2001']), 'Y from the same address registers');
  t.notOk(await rig.signalling.limiter.isBlocked('127.0.0.2', '1001@a.test', Date.now()), 'X from another address is not blocked');
});
