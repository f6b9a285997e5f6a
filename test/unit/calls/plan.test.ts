import t from 'tap';
import {
  ActionModule, RouteModule, TargetKind, allowsFailover, bestFailure, gatewayUri, matchesRules, matchingResources,
  resourceStages, walkFlow,
} from '../../../src/calls/plan';
import type { ResourceInfo } from '../../../src/directory/types';

t.test('walkFlow: actions collected, first routing module ends the walk', async (t) => {
  const cases: { name: string; flow: Parameters<typeof walkFlow>[0]; want: ReturnType<typeof walkFlow> }[] = [
    { name: 'device', flow: { module: 'device', data: { id: 'd1' } }, want: { ok: true, module: RouteModule.Device, data: { id: 'd1' }, actions: [] } },
    {
      name: 'record_call then user',
      flow: { module: 'record_call', data: { action: 'start' }, children: { _: { module: 'user', data: { id: 'u1' } } } },
      want: { ok: true, module: RouteModule.User, data: { id: 'u1' }, actions: [{ module: ActionModule.RecordCall, data: { action: 'start' } }] },
    },
    {
      name: 'record_caller then resources',
      flow: { module: 'record_caller', data: {}, children: { _: { module: 'resources', data: {} } } },
      want: { ok: true, module: RouteModule.Resources, data: {}, actions: [{ module: ActionModule.RecordCaller, data: {} }] },
    },
    { name: 'unsupported module', flow: { module: 'voicemail', data: {} }, want: { ok: false, reason: 'unsupported module voicemail', actions: [] } },
    {
      name: 'action without child',
      flow: { module: 'record_call', data: {} },
      want: { ok: false, reason: 'flow ends without a routing module', actions: [{ module: ActionModule.RecordCall, data: {} }] },
    },
  ];
  for (const c of cases) t.same(walkFlow(c.flow), c.want, c.name);
  const next = { module: 'user', data: { id: 'u' } };
  t.same(walkFlow({ module: 'device', data: { id: 'd' }, children: { _: next } }),
    { ok: true, module: RouteModule.Device, data: { id: 'd' }, actions: [], next }, 'the routing node keeps its child');
});

t.test('walkFlow: a chain deeper than the bound stops', async (t) => {
  let node: Parameters<typeof walkFlow>[0] = { module: 'device', data: { id: 'x' } };
  for (let i = 0; i < 40; i++) node = { module: 'record_call', data: {}, children: { _: node } };
  const r = walkFlow(node);
  t.equal(r.ok, false);
  t.equal(r.ok ? '' : r.reason, 'flow too deep');
});

t.test('matchesRules', async (t) => {
  const rows: [string[], string, boolean][] = [
    [['^\\+?1[0-9]{10}$'], '+15551234567', true],
    [['^\\+?1[0-9]{10}$'], '5551234567', false],
    [['^44', '^33'], '3312345', true],
    [[], '123', false],
    [['[invalid'], '123', false],
  ];
  for (const [rules, n, want] of rows) t.equal(matchesRules(rules, n), want, `${rules.join('|')} ~ ${n}`);
});

const res = (id: string, weight: number | undefined, rules: string[], extra: Partial<ResourceInfo> = {}): ResourceInfo => ({
  id, account_id: 'a', rules, gateways: [{ server: `${id}.example`, port: 5060 }], ...(weight !== undefined ? { weight_cost: weight } : {}), ...extra,
});

t.test('matchingResources: enabled, matching, with a live gateway, cheapest first, stable', async (t) => {
  const list = [
    res('b', 50, ['^1']),
    res('a', 10, ['^1']),
    res('off', 1, ['^1'], { enabled: false }),
    res('nogw', 1, ['^1'], { gateways: [{ server: 'x', enabled: false }] }),
    res('other', 1, ['^9']),
    res('c', undefined, ['^1']),
  ];
  t.same(matchingResources(list, '15551234567').map((r) => r.id), ['a', 'b', 'c']);
});

t.test('gatewayUri', async (t) => {
  t.equal(gatewayUri({ server: 'gw.example' }, '123'), 'sip:123@gw.example');
  t.equal(gatewayUri({ server: '10.0.0.1', port: 5080, prefix: '00', transport: 'tcp' }, '44123'), 'sip:0044123@10.0.0.1:5080;transport=tcp');
  t.equal(gatewayUri({ server: 'h', transport: 'udp', port: 1 }, '1'), 'sip:1@h:1');
});

t.test('resourceStages: one failover stage per enabled gateway, in order', async (t) => {
  const r1: ResourceInfo = { id: 'r1', account_id: 'a', rules: ['.'], gateways: [{ server: 'g1' }, { server: 'g2', enabled: false }, { server: 'g3', port: 5080 }] };
  const r2: ResourceInfo = { id: 'r2', account_id: 'a', rules: ['.'], gateways: [{ server: 'g4' }] };
  t.same(resourceStages([r1, r2], '99', 7), [
    { failover: true, timeoutSec: 7, targets: [{ kind: TargetKind.Resource, uri: 'sip:99@g1', resourceId: 'r1', gateway: 'g1:5060' }] },
    { failover: true, timeoutSec: 7, targets: [{ kind: TargetKind.Resource, uri: 'sip:99@g3:5080', resourceId: 'r1', gateway: 'g3:5080' }] },
    { failover: true, timeoutSec: 7, targets: [{ kind: TargetKind.Resource, uri: 'sip:99@g4', resourceId: 'r2', gateway: 'g4:5060' }] },
  ]);
});

t.test('allowsFailover', async (t) => {
  const rows: [number, boolean][] = [[500, true], [503, true], [504, true], [408, true], [404, false], [486, false], [487, false], [600, false], [603, false]];
  for (const [s, want] of rows) t.equal(allowsFailover(s), want, String(s));
});

t.test('bestFailure: RFC 3261 16.7 choice', async (t) => {
  const rows: [number[], number][] = [
    [[], 480],
    [[486], 486],
    [[503, 486], 486],
    [[486, 404], 486],
    [[408, 480], 480],
    [[480, 408], 480],
    [[503, 600, 486], 600],
    [[500, 503], 500],
    [[408], 408],
  ];
  for (const [statuses, want] of rows) t.equal(bestFailure(statuses), want, statuses.join(','));
});
