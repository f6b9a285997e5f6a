import t from 'tap';
import { recordingsForCall, type CallRecording, type PolicyInput, type RecordingSettings } from '../../../src/policy';
import { baseInput } from './fixtures';

/** An onnet->offnet call from device D owned by user U; the caller's outbound->offnet slot decides. */
function call(device: CallRecording | undefined, user: CallRecording | undefined, accountEndpoint?: CallRecording): PolicyInput {
  const input = baseInput('onnet', 'offnet');
  input.callerEndpoint = {
    device: { id: 'D', owner_id: 'U', ...(device ? { call_recording: device } : {}) },
    user: { id: 'U', ...(user ? { call_recording: user } : {}) },
  };
  if (accountEndpoint) input.account.call_recording = { endpoint: accountEndpoint };
  return input;
}
const out = (s: RecordingSettings): CallRecording => ({ outbound: { offnet: s } });

interface Case {
  name: string;
  device?: CallRecording;
  user?: CallRecording;
  accountEndpoint?: CallRecording;
  /** undefined: nothing recorded; else the expected source and some resolved settings. */
  expect?: { source: string; format?: string; url?: string; time_limit?: number };
}

const CASES: Case[] = [
  { name: 'user on, device undefined: user applies', user: out({ enabled: true, format: 'wav' }), expect: { source: 'user', format: 'wav' } },
  { name: 'user on, device explicitly off: device wins', user: out({ enabled: true }), device: out({ enabled: false }) },
  { name: 'user off, device on: device wins', user: out({ enabled: false }), device: out({ enabled: true }), expect: { source: 'device' } },
  { name: 'user undefined, device on', device: out({ enabled: true, format: 'wav' }), expect: { source: 'device', format: 'wav' } },
  { name: 'neither defined: nothing', },
  {
    name: 'device on without url, user gives url: keys merged, device values win',
    user: out({ enabled: true, url: 'http://u.example.com/r', format: 'wav', time_limit: 600 }),
    device: out({ enabled: true, time_limit: 60 }),
    expect: { source: 'device', url: 'http://u.example.com/r', format: 'wav', time_limit: 60 },
  },
  {
    name: 'device sets settings but not `enabled`: the user\'s enabled decides',
    user: out({ enabled: true }),
    device: out({ format: 'wav' }),
    expect: { source: 'user', format: 'wav' },
  },
  {
    name: 'device configures another slot only: this slot falls back to the user (spec: undefined device settings)',
    user: out({ enabled: true }),
    device: { inbound: { offnet: { enabled: true } } },
    expect: { source: 'user' },
  },
  {
    name: 'device disables through `any`: explicit, wins over the user',
    user: out({ enabled: true }),
    device: { any: { any: { enabled: false } } },
  },
  {
    name: 'account endpoint defaults on, user and device silent: account defaults apply',
    accountEndpoint: out({ enabled: true, url: 'http://acct.example.com/r' }),
    expect: { source: 'account', url: 'http://acct.example.com/r' },
  },
  {
    name: 'account endpoint defaults on, user off: user wins',
    accountEndpoint: out({ enabled: true }),
    user: out({ enabled: false }),
  },
  {
    name: 'account endpoint defaults off, device on: device wins, account defaults fill keys',
    accountEndpoint: out({ enabled: false, url: 'http://acct.example.com/r' }),
    device: out({ enabled: true }),
    expect: { source: 'device', url: 'http://acct.example.com/r' },
  },
  { name: '`enabled` must be literally true', device: out({ enabled: 'true' as unknown as boolean }) },
];

t.test('Device > User > account endpoint defaults', async (t) => {
  for (const c of CASES) {
    const got = recordingsForCall(call(c.device, c.user, c.accountEndpoint));
    if (c.expect === undefined) {
      t.same(got, [], c.name);
      continue;
    }
    t.equal(got.length, 1, `${c.name}: one recording`);
    const { source, ...settings } = c.expect;
    t.match(got[0], { source, endpointId: 'D', ownerId: 'U', settings }, c.name);
  }
});

t.test('the account is considered independently of the endpoints', async (t) => {
  // A user who disabled recording, in an account that records: the account's recording still runs.
  const input = call(out({ enabled: false }), out({ enabled: false }));
  input.account.call_recording = { account: { inbound: { onnet: { enabled: true, format: 'wav' } } } };
  const got = recordingsForCall(input);
  t.same(got.map((r) => [r.kind, r.origin, r.settings.format]), [['account', 'inbound from onnet to account', 'wav']]);

  // Both enabled: two recordings with their own settings.
  const both = call(out({ enabled: true, format: 'mp3', url: 'http://dev.example.com/' }), undefined);
  both.account.call_recording = { account: { inbound: { onnet: { enabled: true, format: 'wav', url: 'http://acct.example.com/' } } } };
  const two = recordingsForCall(both);
  t.same(two.map((r) => [r.kind, r.source, r.origin, r.settings.format, r.settings.url]), [
    ['account', 'account', 'inbound from onnet to account', 'wav', 'http://acct.example.com/'],
    ['endpoint', 'device', 'outbound to offnet from endpoint', 'mp3', 'http://dev.example.com/'],
  ]);

  // Account, caller and callee all recording an internal call: three recordings.
  const three = baseInput('onnet', 'onnet');
  three.account.call_recording = { account: { outbound: { onnet: { enabled: true } } } };
  three.callerEndpoint = { device: { id: 'A', call_recording: { outbound: { onnet: { enabled: true } } } } };
  three.calleeEndpoint = { user: { id: 'B', call_recording: { inbound: { onnet: { enabled: true } } } } };
  t.same(recordingsForCall(three).map((r) => r.origin), [
    'outbound to onnet from account',
    'outbound to onnet from endpoint',
    'inbound from onnet to endpoint',
  ]);
});

t.test('the spec\'s Sales example: calls to and from customers recorded, internal calls not', async (t) => {
  const settings = { enabled: true, url: 'http://sales.example.com/recordings' };
  const sales: CallRecording = { inbound: { offnet: settings }, outbound: { offnet: settings } };
  const salesUser = { device: { id: 'sales-phone', owner_id: 'sales-user' }, user: { id: 'sales-user', call_recording: sales } };
  const colleague = { device: { id: 'other-phone', owner_id: 'other-user' }, user: { id: 'other-user' } };

  const toCustomer = baseInput('onnet', 'offnet');
  toCustomer.callerEndpoint = salesUser;
  t.same(recordingsForCall(toCustomer).map((r) => [r.origin, r.role, r.endpointId, r.settings.url]), [
    ['outbound to offnet from endpoint', 'caller', 'sales-phone', settings.url],
  ], 'sales calls a customer: recorded');

  const fromCustomer = baseInput('offnet', 'onnet');
  fromCustomer.calleeEndpoint = salesUser;
  t.same(recordingsForCall(fromCustomer).map((r) => [r.origin, r.role, r.endpointId]), [
    ['inbound from offnet to endpoint', 'callee', 'sales-phone'],
  ], 'a customer calls sales: recorded');

  const internalOut = baseInput('onnet', 'onnet');
  internalOut.callerEndpoint = salesUser;
  internalOut.calleeEndpoint = colleague;
  t.same(recordingsForCall(internalOut), [], 'sales calls a colleague: not recorded');

  const internalIn = baseInput('onnet', 'onnet');
  internalIn.callerEndpoint = colleague;
  internalIn.calleeEndpoint = salesUser;
  t.same(recordingsForCall(internalIn), [], 'a colleague calls sales: not recorded');
});

t.test('the policy is pure: inputs untouched, same input same output', async (t) => {
  const input = call(out({ enabled: true, format: 'wav' }), out({ enabled: true, url: 'http://u.example.com/' }), out({ enabled: true }));
  input.account.call_recording = { account: { any: { any: { enabled: true } } }, endpoint: { outbound: { offnet: { enabled: true } } } };
  const before = JSON.parse(JSON.stringify(input)) as unknown;
  const first = recordingsForCall(input);
  const second = recordingsForCall(input);
  t.same(input, before, 'input not mutated');
  t.same(first, second, 'deterministic');
  t.not(first[0].settings, second[0].settings, 'fresh objects each time');
  t.equal(first[1].settings.format, 'wav', 'the device\'s format');
  first[1].settings.format = 'mp3';
  t.equal(recordingsForCall(input)[1].settings.format, 'wav', 'mutating a result does not leak into the next');
});
