/**
 * Record actions across a callflow's continuation: nodes met before a routing module that fails
 * at once (no registered contact) still apply to the call routed by its child `_`; the
 * continuation Router.fallback() walks carries only the nodes met after the failed module.
 */
import t from 'tap';
import { Router } from '../../../src/calls/router';
import { MemoryDirectory } from '../../../src/directory/memory-directory';
import type { AccountInfo } from '../../../src/directory/types';
import { CallerKind, type Caller } from '../../../src/signalling/direction';

const acc: AccountInfo = { id: 'acc', realm: 'a.test' };
const dir = new MemoryDirectory({
  accounts: [acc],
  devices: [
    { id: 'a', account_id: 'acc', sip: { username: '1001', password: 'x' } },
    { id: 'unreg', account_id: 'acc', sip: { username: '1002', password: 'x' } },
    { id: 'b', account_id: 'acc', sip: { username: '1003', password: 'x' } },
  ],
  callflows: [
    {
      id: 'cf-skip', account_id: 'acc', numbers: ['100'],
      flow: {
        module: 'record_call', data: { action: 'start', label: 'first' },
        children: { _: { module: 'device', data: { id: 'unreg' }, children: { _: { module: 'record_call', data: { label: 'second' }, children: { _: { module: 'device', data: { id: 'b' } } } } } } },
      },
    },
    {
      id: 'cf-ring', account_id: 'acc', numbers: ['200'],
      flow: {
        module: 'record_call', data: { action: 'start' },
        children: { _: { module: 'device', data: { id: 'a', timeout: 20 }, children: { _: { module: 'record_call', data: { action: 'stop' }, children: { _: { module: 'device', data: { id: 'b' } } } } } } },
      },
    },
  ],
});
const router = new Router({
  directory: dir,
  registrations: { deviceTargets: async (id) => (id === 'unreg' ? [] : [{ uri: `sip:${id}@10.0.0.1`, proxy: 'sip:10.0.0.1', deviceId: id }]) },
  trunkAttemptTimeoutSec: 9,
});
const caller: Caller = { kind: CallerKind.Device, account: acc, device: { id: 'a', account_id: 'acc', sip: { username: '1001', password: 'x' } } };

t.test('an unregistered device skipped at once keeps the actions met before it', async (t) => {
  const d = await router.route(caller, ['100']);
  t.equal(d.stages[0].targets[0].deviceId, 'b');
  t.same(d.actions.map((a) => a.data.label), ['first', 'second'], 'both record_call nodes, in flow order');
});

t.test('the continuation after a rung module carries only the nodes after it', async (t) => {
  const first = await router.route(caller, ['200']);
  t.equal(first.stages[0].targets[0].deviceId, 'a');
  t.equal(first.stages[0].timeoutSec, 20);
  t.same(first.actions, [{ module: 'record_call', data: { action: 'start' } }]);
  const next = await router.fallback(first);
  t.equal(next?.stages[0].targets[0].deviceId, 'b');
  t.same(next?.actions, [{ module: 'record_call', data: { action: 'stop' } }]);
  t.equal(next && await router.fallback(next), undefined, 'the flow ends after device b');
});
