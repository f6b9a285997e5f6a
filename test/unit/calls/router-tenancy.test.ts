/**
 * Tenancy at call time: whatever the store holds (documents written before the API checked
 * references, or straight into the store), a callflow rings only its own account's devices and
 * users, a device of another account claiming a user's ownership takes none of its calls, and a
 * DID of a disabled account is refused. Each refusal is a warn line naming both accounts.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import pino from 'pino';
import { AccountDisabledError, UnusableTargetError } from '../../../src/calls/errors';
import { Router } from '../../../src/calls/router';
import { MemoryDirectory } from '../../../src/directory/memory-directory';
import type { AccountInfo, DeviceInfo, ResourceInfo } from '../../../src/directory/types';
import { CalleeKind, CallerKind, type Caller } from '../../../src/signalling/direction';

const a: AccountInfo = { id: 'A', realm: 'a.test' };
const b: AccountInfo = { id: 'B', realm: 'b.test' };
const off: AccountInfo = { id: 'OFF', realm: 'off.test', enabled: false };
const dev = (id: string, account: string, owner?: string): DeviceInfo =>
  ({ id, account_id: account, sip: { username: id, password: 'x' }, ...(owner ? { owner_id: owner } : {}) });

const dir = new MemoryDirectory({
  accounts: [a, b, off],
  users: [{ id: 'ua', account_id: 'A' }, { id: 'ub', account_id: 'B' }],
  devices: [
    dev('da', 'A', 'ub'), // A's phone, claiming B's user as owner (an old document)
    dev('db', 'B', 'ub'),
    dev('db-steals', 'A', 'ub'), // written into A, owner B's user: must not ring for B's user
    dev('doff', 'OFF'),
  ],
  callflows: [
    { id: 'cf-steal-device', account_id: 'B', numbers: ['100'], flow: { module: 'device', data: { id: 'da' } } },
    {
      id: 'cf-steal-then-own', account_id: 'B', numbers: ['101'],
      flow: { module: 'device', data: { id: 'da' }, children: { _: { module: 'device', data: { id: 'db' } } } },
    },
    { id: 'cf-steal-user', account_id: 'B', numbers: ['102'], flow: { module: 'user', data: { id: 'ua' } } },
    { id: 'cf-own-user', account_id: 'B', numbers: ['103'], flow: { module: 'user', data: { id: 'ub' } } },
    { id: 'cf-a-device', account_id: 'A', numbers: ['104'], flow: { module: 'device', data: { id: 'da' } } },
    { id: 'cf-off', account_id: 'OFF', numbers: ['4425000'], flow: { module: 'device', data: { id: 'doff' } } },
  ],
});
const router = new Router({
  directory: dir,
  registrations: { deviceTargets: async (id) => [{ uri: `sip:${id}@10.0.0.1`, proxy: 'sip:10.0.0.1', deviceId: id }] },
  trunkAttemptTimeoutSec: 9,
});
const fromB: Caller = { kind: CallerKind.Device, account: b, device: dev('db', 'B') };
const fromA: Caller = { kind: CallerKind.Device, account: a, device: dev('da', 'A') };
const trunk: ResourceInfo = { id: 'trunk', account_id: 'A', rules: ['.'], gateways: [{ server: '192.0.2.1' }] };
const fromTrunk: Caller = { kind: CallerKind.Trunk, account: a, resource: trunk, sourceAddress: '192.0.2.1' };

/** A logger whose warn lines the test reads. */
function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { log: pino({ level: 'info' }, sink), lines };
}

t.test("another account's device: refused (404 with nothing after it), warned", async (t) => {
  const { log, lines } = capture();
  await t.rejects(router.route(fromB, ['100'], log), UnusableTargetError);
  await new Promise((r) => setImmediate(r));
  const warn = lines.find((l) => l['level'] === 40);
  t.match(warn, { callflow_id: 'cf-steal-device', account_id: 'B', device_id: 'da', target_account_id: 'A' }, 'one warn line names both accounts');
});

t.test("another account's device with a child `_`: the flow goes on to the own device", async (t) => {
  const d = await router.route(fromB, ['101']);
  t.same(d.stages.flatMap((s) => s.targets.map((x) => x.deviceId)), ['db'], "only B's own phone is rung");
});

t.test("another account's user: refused", async (t) => {
  await t.rejects(router.route(fromB, ['102']), UnusableTargetError);
});

t.test("a device of another account naming the user as owner does not ring for it", async (t) => {
  const d = await router.route(fromB, ['103']);
  t.equal(d.callee?.kind, CalleeKind.User);
  t.same(d.stages[0].targets.map((x) => x.deviceId), ['db'], "A's devices claiming B's user are left out");
});

t.test("a device whose owner is another account's user carries no owner", async (t) => {
  const d = await router.route(fromA, ['104']);
  t.equal(d.callee?.kind, CalleeKind.Device);
  t.notOk(d.callee?.kind === CalleeKind.Device && d.callee?.owner, "B's user lends A's device no settings");
});

t.test('a DID of a disabled account, from a trunk: 403', async (t) => {
  const err = await router.route(fromTrunk, ['4425000']).catch((e: unknown) => e);
  t.type(err, AccountDisabledError);
  t.equal((err as AccountDisabledError).sipStatus, 403);
});
