/**
 * planRecordings: the policy's recordings for the call's parties plus the callflow's record
 * actions, table-driven with exact origins, sources, directions, start points and settings.
 */
import t from 'tap';
import type { AccountInfo, DeviceInfo, ResourceInfo, UserInfo } from '../../../src/directory/types';
import { RECORD_CALLER_TERMINATORS, RecordingStart } from '../../../src/policy';
import { planRecordings, type PlanInput } from '../../../src/recording';
import { CalleeKind, CallerKind, type Callee, type Caller } from '../../../src/signalling/direction';

const URL = 'http://rec.example.com/store';
const account = (cr?: Record<string, unknown>): AccountInfo => ({ id: 'acct', realm: 'a.test', ...(cr ? { call_recording: cr } : {}) });
const device = (id: string, cr?: Record<string, unknown>, owner?: string): DeviceInfo => ({
  id, account_id: 'acct', sip: { username: id, password: 'x' }, ...(owner ? { owner_id: owner } : {}), ...(cr ? { call_recording: cr } : {}),
});
const user = (id: string, cr?: Record<string, unknown>): UserInfo => ({ id, account_id: 'acct', ...(cr ? { call_recording: cr } : {}) } as UserInfo);
const trunk: ResourceInfo = { id: 'res', account_id: 'acct', gateways: [{ server: '192.0.2.1' }], rules: ['.*'] };

const phoneCaller = (d: DeviceInfo, owner?: UserInfo): Caller => ({ kind: CallerKind.Device, account: account(), device: d, ...(owner ? { owner } : {}) });
const trunkCaller: Caller = { kind: CallerKind.Trunk, account: account(), resource: trunk, sourceAddress: '192.0.2.1' };
const phoneCallee = (d: DeviceInfo, owner?: UserInfo): Callee => ({ kind: CalleeKind.Device, device: d, ...(owner ? { owner } : {}) });
const offnetCallee: Callee = { kind: CalleeKind.Resource, number: '15551234567' };

function input(p: Partial<PlanInput> & Pick<PlanInput, 'caller' | 'callee'>): PlanInput {
  return { callId: 'call-1', account: account(), actions: [], ...p };
}

interface Row {
  name: string;
  in: PlanInput;
  out: Array<{ source: string; origin: string; direction: string; start: RecordingStart; callerOnly?: boolean; stereo?: boolean; rate?: number; label?: string; ownerId?: string }>;
}

const rows: Row[] = [
  { name: 'nothing configured', in: input({ caller: phoneCaller(device('d1')), callee: phoneCallee(device('d2')) }), out: [] },
  {
    name: 'account inbound from offnet',
    in: input({ caller: trunkCaller, callee: phoneCallee(device('d2')), account: account({ account: { inbound: { offnet: { enabled: true, url: URL } } } }) }),
    out: [{ source: 'account', origin: 'inbound from offnet to account', direction: 'inbound', start: RecordingStart.Now, stereo: true, rate: 16000 }],
  },
  {
    name: 'account outbound to offnet, on answer',
    in: input({ caller: phoneCaller(device('d1')), callee: offnetCallee, account: account({ account: { outbound: { offnet: { enabled: true, url: URL, record_on_answer: true } } } }) }),
    out: [{ source: 'account', origin: 'outbound to offnet from account', direction: 'outbound', start: RecordingStart.Answer }],
  },
  {
    name: 'caller user outbound (device silent defers to its user)',
    in: input({ caller: phoneCaller(device('d1', undefined, 'u1'), user('u1', { outbound: { offnet: { enabled: true, url: URL } } })), callee: offnetCallee }),
    out: [{ source: 'endpoint', origin: 'outbound to offnet from endpoint', direction: 'outbound', start: RecordingStart.Now, ownerId: 'u1' }],
  },
  {
    name: 'callee device inbound: starts on answer',
    in: input({ caller: trunkCaller, callee: phoneCallee(device('d2', { inbound: { offnet: { enabled: true, url: URL } } })) }),
    out: [{ source: 'endpoint', origin: 'inbound from offnet to endpoint', direction: 'inbound', start: RecordingStart.Answer }],
  },
  {
    name: 'a device disabling wins over its user',
    in: input({ caller: phoneCaller(device('d1', { outbound: { offnet: { enabled: false } } }, 'u1'), user('u1', { outbound: { offnet: { enabled: true, url: URL } } })), callee: offnetCallee }),
    out: [],
  },
  {
    name: 'record_call start with label',
    in: input({ caller: phoneCaller(device('d1')), callee: phoneCallee(device('d2')), actions: [{ module: 'record_call', data: { action: 'start', label: 'sales', url: URL, record_on_bridge: true } }] }),
    out: [{ source: 'callflow', origin: 'callflow : sales', label: 'sales', direction: 'outbound', start: RecordingStart.Bridge }],
  },
  {
    name: 'record_call without label takes the callflow id',
    in: input({ caller: trunkCaller, callee: phoneCallee(device('d2')), callflowId: 'cf9', actions: [{ module: 'record_call', data: { url: URL } }] }),
    out: [{ source: 'callflow', origin: 'callflow : cf9', label: 'cf9', direction: 'inbound', start: RecordingStart.Now }],
  },
  {
    name: 'record_call stop after start: nothing from the flow',
    in: input({ caller: phoneCaller(device('d1')), callee: phoneCallee(device('d2')), actions: [{ module: 'record_call', data: { action: 'start', url: URL } }, { module: 'record_call', data: { action: 'stop' } }] }),
    out: [],
  },
  {
    // record_caller runs before the callee is rung (recordCallerSteps), not in the bridged call.
    name: 'record_caller is not a recording of the bridged call',
    in: input({ caller: phoneCaller(device('d1')), callee: phoneCallee(device('d2')), actions: [{ module: 'record_caller', data: { url: URL } }] }),
    out: [],
  },
  {
    name: 'record_caller without url is skipped',
    in: input({ caller: phoneCaller(device('d1')), callee: phoneCallee(device('d2')), actions: [{ module: 'record_caller', data: {} }] }),
    out: [],
  },
  {
    name: 'account and endpoint at once, then the flow: policy first',
    in: input({
      caller: phoneCaller(device('d1', { outbound: { onnet: { enabled: true, url: URL } } })), callee: phoneCallee(device('d2')),
      account: account({ account: { inbound: { onnet: { enabled: true, url: URL } } } }),
      actions: [{ module: 'record_call', data: { label: 'x', url: URL } }],
    }),
    out: [
      { source: 'account', origin: 'inbound from onnet to account', direction: 'inbound', start: RecordingStart.Now },
      { source: 'endpoint', origin: 'outbound to onnet from endpoint', direction: 'outbound', start: RecordingStart.Now },
      { source: 'callflow', origin: 'callflow : x', label: 'x', direction: 'outbound', start: RecordingStart.Now },
    ],
  },
];

for (const row of rows) {
  t.test(row.name, async (t) => {
    const got = planRecordings(row.in);
    t.equal(got.length, row.out.length, 'count');
    row.out.forEach((want, i) => {
      const g = got[i];
      t.equal(g?.source, want.source, `${i} source`);
      t.equal(g?.origin, want.origin, `${i} origin`);
      t.equal(g?.direction, want.direction, `${i} direction`);
      t.equal(g?.settings.start, want.start, `${i} start`);
      t.equal(g?.callerOnly, want.callerOnly ?? false, `${i} callerOnly`);
      if (want.stereo !== undefined) t.equal(g?.settings.stereo, want.stereo, `${i} stereo`);
      if (want.rate !== undefined) t.equal(g?.settings.record_sample_rate, want.rate, `${i} rate`);
      if (want.label !== undefined) t.equal(g?.label, want.label, `${i} label`);
      if (want.ownerId !== undefined) t.equal(g?.ownerId, want.ownerId, `${i} ownerId`);
      if (want.callerOnly) t.same(g?.terminators, RECORD_CALLER_TERMINATORS, `${i} terminators`);
    });
  });
}
