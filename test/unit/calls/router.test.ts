import t from 'tap';
import { BadCallflowError, NoRouteError, NotRegisteredError } from '../../../src/calls/errors';
import { TargetKind } from '../../../src/calls/plan';
import { Router, dialledNumbers } from '../../../src/calls/router';
import { MemoryDirectory } from '../../../src/directory/memory-directory';
import type { AccountInfo, ResourceInfo } from '../../../src/directory/types';
import { CalleeKind, CallerKind, type Caller } from '../../../src/signalling/direction';
import type { RouteTarget } from '../../../src/signalling/registrar/registrations';

const acc: AccountInfo = { id: 'acc', realm: 'a.test' };
const other: AccountInfo = { id: 'other', realm: 'o.test' };
const trunk: ResourceInfo = { id: 'trunk', account_id: 'acc', rules: ['^\\+?1[0-9]{10}$'], gateways: [{ server: '192.0.2.1' }, { server: '192.0.2.2', port: 5080 }] };
const dir = new MemoryDirectory({
  accounts: [acc, other],
  users: [{ id: 'u1', account_id: 'acc' }, { id: 'u-empty', account_id: 'acc' }],
  devices: [
    { id: 'd1', account_id: 'acc', owner_id: 'u1', sip: { username: '1001', password: 'x' } },
    { id: 'd2', account_id: 'acc', owner_id: 'u1', sip: { username: '1002', password: 'x' } },
    { id: 'd3', account_id: 'acc', sip: { username: '1003', password: 'x' } },
    { id: 'off', account_id: 'acc', owner_id: 'u1', enabled: false, sip: { username: '1009', password: 'x' } },
    { id: 'd-unreg', account_id: 'acc', sip: { username: '1010', password: 'x' } },
    { id: 'd-other', account_id: 'other', sip: { username: '1003', password: 'x' } },
  ],
  resources: [trunk],
  callflows: [
    { id: 'cf-dev', account_id: 'acc', numbers: ['2000'], flow: { module: 'device', data: { id: 'd3' } } },
    { id: 'cf-user', account_id: 'acc', numbers: ['3000'], flow: { module: 'record_call', data: { action: 'start' }, children: { _: { module: 'user', data: { id: 'u1' } } } } },
    { id: 'cf-empty', account_id: 'acc', numbers: ['3999'], flow: { module: 'user', data: { id: 'u-empty' } } },
    { id: 'cf-out', account_id: 'acc', patterns: ['^9(\\d+)$'], flow: { module: 'resources', data: {} } },
    { id: 'cf-bad', account_id: 'acc', numbers: ['4000'], flow: { module: 'conference', data: {} } },
    {
      id: 'cf-fallback', account_id: 'acc', numbers: ['5000'],
      flow: { module: 'device', data: { id: 'd-unreg' }, children: { _: { module: 'user', data: { id: 'u1' } } } },
    },
    {
      id: 'cf-mobile', account_id: 'acc', numbers: ['5001'],
      flow: { module: 'device', data: { id: 'd3', timeout: 5 }, children: { _: { module: 'resources', data: { to_did: '15551234567' } } } },
    },
    { id: 'cf-did', account_id: 'other', numbers: ['4420000'], flow: { module: 'device', data: { id: 'd-other' } } },
  ],
});

const regs: Record<string, RouteTarget[]> = {
  d1: [{ uri: 'sip:1001@10.0.0.1:5062', proxy: 'sip:198.51.100.1:5062;transport=udp', deviceId: 'd1' }],
  d2: [
    { uri: 'sip:1002@10.0.0.2', proxy: 'sip:198.51.100.2:5060;transport=udp', deviceId: 'd2' },
    { uri: 'sip:1002@10.0.0.3', proxy: 'sip:198.51.100.3:5060;transport=tcp', deviceId: 'd2' },
  ],
  d3: [{ uri: 'sip:1003@10.0.0.4', proxy: 'sip:198.51.100.4:5060;transport=udp', deviceId: 'd3' }],
  'd-other': [{ uri: 'sip:1003@10.0.1.4', proxy: 'sip:198.51.100.5:5060;transport=udp', deviceId: 'd-other' }],
  off: [{ uri: 'sip:1009@10.0.0.9', proxy: 'sip:198.51.100.9:5060;transport=udp', deviceId: 'off' }],
};
const router = new Router({ directory: dir, registrations: { deviceTargets: async (id) => regs[id] ?? [] }, trunkAttemptTimeoutSec: 9 });

const fromDevice: Caller = { kind: CallerKind.Device, account: acc, device: { id: 'd1', account_id: 'acc', sip: { username: '1001', password: 'x' } } };
const fromTrunk: Caller = { kind: CallerKind.Trunk, account: acc, resource: trunk, sourceAddress: '192.0.2.1' };

t.test('dialledNumbers', async (t) => {
  t.same(dialledNumbers('sip:2000@a.test', '<sip:2000@a.test>'), ['2000']);
  t.same(dialledNumbers('sip:+1-555-123-4567@gw;user=phone', '<sip:4420000@x>'), ['+15551234567', '4420000']);
  t.same(dialledNumbers('sip:a.test', undefined), []);
  t.same(dialledNumbers('sip:gw.example', '"Bob" <sip:2000@a.test>;tag=1'), ['2000']);
  t.same(dialledNumbers('tel:+4420000', undefined), ['+4420000']);
});

t.test('device module: the device and its contacts', async (t) => {
  const d = await router.route(fromDevice, ['2000']);
  t.equal(d.callee?.kind, CalleeKind.Device);
  t.equal(d.callflow?.id, 'cf-dev');
  t.same(d.stages, [{ failover: false, targets: [{ kind: TargetKind.Device, uri: 'sip:1003@10.0.0.4', proxy: 'sip:198.51.100.4:5060;transport=udp', deviceId: 'd3' }] }]);
});

t.test('user module: every enabled device of the user in one parallel stage, record_call kept', async (t) => {
  const d = await router.route(fromDevice, ['3000']);
  t.equal(d.callee?.kind, CalleeKind.User);
  t.equal(d.stages.length, 1);
  t.same(d.stages[0].targets.map((x) => x.uri), ['sip:1001@10.0.0.1:5062', 'sip:1002@10.0.0.2', 'sip:1002@10.0.0.3']);
  t.same(d.actions, [{ module: 'record_call', data: { action: 'start' } }]);
});

t.test('user without registrations: 480', async (t) => {
  await t.rejects(router.route(fromDevice, ['3999']), NotRegisteredError);
});

t.test('resources via a pattern callflow and via no match', async (t) => {
  const viaPattern = await router.route(fromDevice, ['915551234567']);
  t.equal(viaPattern.callflow?.id, 'cf-out');
  t.equal(viaPattern.callee?.kind, CalleeKind.Resource);
  t.equal(viaPattern.number, '15551234567', 'the capture group is dialled out');
  t.same(viaPattern.stages.map((s) => s.targets[0].uri), ['sip:15551234567@192.0.2.1', 'sip:15551234567@192.0.2.2:5080']);
  const direct = await router.route(fromDevice, ['15551234567']);
  t.equal(direct.callflow, undefined, 'no callflow: offnet because a resource matches');
  t.same(direct.stages.map((s) => s.targets[0].uri), ['sip:15551234567@192.0.2.1', 'sip:15551234567@192.0.2.2:5080']);
  t.ok(direct.stages.every((s) => s.failover && s.timeoutSec === 9));
});

t.test('no callflow and no resource: 404', async (t) => {
  await t.rejects(router.route(fromDevice, ['777']), NoRouteError);
});

t.test('unsupported module: 500 with the callflow named', async (t) => {
  await t.rejects(router.route(fromDevice, ['4000']), BadCallflowError);
});

t.test('trunk caller: DID matched across accounts, never sent back offnet', async (t) => {
  const d = await router.route(fromTrunk, ['4420000']);
  t.equal(d.accountId, 'other');
  t.equal(d.callee?.kind, CalleeKind.Device);
  await t.rejects(router.route(fromTrunk, ['15551234567']), NoRouteError, 'a trunk cannot reach another trunk by a no-match');
  const viaTo = await router.route(fromTrunk, ['gateway-user', '2000']);
  t.equal(viaTo.callflow?.id, 'cf-dev', 'the To user is tried after the Request-URI user');
});

t.test('callflow continues with child _: unregistered device skipped at once, timeout bounds the stage', async (t) => {
  const skipped = await router.route(fromDevice, ['5000']);
  t.equal(skipped.callee?.kind, CalleeKind.User, 'the unregistered device fell through to the user');
  t.equal(skipped.fallback, undefined);
  t.equal(await router.fallback(skipped), undefined, 'nothing after the user');
  const first = await router.route(fromDevice, ['5001']);
  t.equal(first.callee?.kind, CalleeKind.Device);
  t.equal(first.stages[0].timeoutSec, 5, "the device's timeout bounds its ringing");
  const next = await router.fallback(first);
  t.equal(next?.callee?.kind, CalleeKind.Resource);
  t.equal(next?.number, '15551234567', 'to_did is dialled out');
  t.same(next?.stages.map((s) => s.targets[0].uri), ['sip:15551234567@192.0.2.1', 'sip:15551234567@192.0.2.2:5080']);
});
