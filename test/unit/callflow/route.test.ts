import t from 'tap';
import { planFlow } from '../../../src/callflow/flow';
import { gatewayUri, resolveRoute, RouteKind, trunkTargets } from '../../../src/callflow/route';
import { MemoryDirectory } from '../../../src/directory/memory-directory';
import type { AccountInfo, DeviceInfo, ResourceInfo } from '../../../src/directory/types';
import { CallerKind, type Caller } from '../../../src/signalling/direction';

t.test('flow walk: actions then the terminal module', async (t) => {
  const rows: [string, Parameters<typeof planFlow>[0], ReturnType<typeof planFlow>][] = [
    ['device only', { module: 'device', data: { id: 'd1' } },
      { actions: [], skipped: [], terminal: { module: 'device', data: { id: 'd1' } } }],
    ['record then user', { module: 'record_call', data: { action: 'start' }, children: { _: { module: 'user', data: { id: 'u1' } } } },
      { actions: [{ module: 'record_call', data: { action: 'start' } }], skipped: [], terminal: { module: 'user', data: { id: 'u1' } } }],
    ['unknown module skipped', { module: 'play', data: {}, children: { _: { module: 'record_caller', data: { url: 'http://x' }, children: { _: { module: 'resources', data: {} } } } } },
      { actions: [{ module: 'record_caller', data: { url: 'http://x' } }], skipped: ['play'], terminal: { module: 'resources', data: {} } }],
    ['no terminal', { module: 'record_call', data: {} }, { actions: [{ module: 'record_call', data: {} }], skipped: [] }],
  ];
  for (const [name, flow, want] of rows) t.same(planFlow(flow), want, name);
});

const res = (id: string, rules: string[], servers: string[], o: Partial<ResourceInfo> = {}): ResourceInfo =>
  ({ id, account_id: 'A', rules, gateways: servers.map((s) => ({ server: s })), ...o });

t.test('trunk targets: rules, weight, failover order', async (t) => {
  const resources = [
    res('cheap-us', ['^\\+1\\d{10}$'], ['us1', 'us2'], { weight_cost: 10 }),
    res('intl', ['^\\+'], ['intl1']),
    res('off', ['^\\+'], ['off1'], { enabled: false }),
    res('bad', ['(['], ['bad1']),
  ];
  t.same(trunkTargets(resources, '+14155550100').map((x) => x.uri), ['sip:+14155550100@us1', 'sip:+14155550100@us2', 'sip:+14155550100@intl1']);
  t.same(trunkTargets(resources, '+442071234567').map((x) => x.resourceId), ['intl']);
  t.same(trunkTargets(resources, '1001'), []);
  t.equal(gatewayUri('5551234', { server: 'gw', port: 5080, transport: 'tcp', prefix: '9' }), 'sip:95551234@gw:5080;transport=tcp');
  t.same(trunkTargets([res('auth', ['.'], [])].map((r) => ({ ...r, gateways: [{ server: 'g', username: 'u', password: 'p' }] })), '1')[0]?.auth, { username: 'u', password: 'p' });
});

t.test('route decision', async (t) => {
  const accA: AccountInfo = { id: 'A', realm: 'a.test' };
  const dev: DeviceInfo = { id: 'd1', account_id: 'A', sip: { username: '1001', password: 'x' } };
  const dir = new MemoryDirectory({
    accounts: [accA, { id: 'B', realm: 'b.test' }],
    callflows: [
      { id: 'cf-ext', account_id: 'A', numbers: ['1001'], flow: { module: 'device', data: { id: 'd1' } } },
      { id: 'cf-did', account_id: 'B', numbers: ['+15550100'], flow: { module: 'device', data: { id: 'd2' } } },
    ],
    resources: [res('r1', ['^\\+1'], ['gw1'])],
  });
  const device: Caller = { kind: CallerKind.Device, account: accA, device: dev };
  const trunk: Caller = { kind: CallerKind.Trunk, account: accA, resource: res('r1', [], ['gw1']), sourceAddress: '192.0.2.1' };
  const r1 = await resolveRoute(dir, device, '1001');
  t.same(r1.kind === RouteKind.Callflow ? [r1.accountId, r1.match.callflow.id] : r1.kind, ['A', 'cf-ext']);
  const r2 = await resolveRoute(dir, device, '+14155550100');
  t.same(r2.kind === RouteKind.Offnet ? r2.targets.map((x) => x.uri) : r2.kind, ['sip:+14155550100@gw1'], 'no callflow, a resource rule matches');
  t.same((await resolveRoute(dir, device, '999')).kind, RouteKind.NotFound, 'no callflow, no resource: 404');
  const r3 = await resolveRoute(dir, trunk, '+15550100');
  t.same(r3.kind === RouteKind.Callflow ? [r3.accountId, r3.match.callflow.id] : r3.kind, ['B', 'cf-did'], 'DID matched across accounts');
  t.same((await resolveRoute(dir, trunk, '+15550199')).kind, RouteKind.NotFound);
});
