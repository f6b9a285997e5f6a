import t from 'tap';
import { recordingsForCall, type CallRecording, type EndpointDocs, type PolicyInput } from '../../../src/policy';
import { baseInput, enabledSlot, slotUrl, type Dir, type Net } from './fixtures';

/** Every row of the spec's three "Endpoint Settings" tables. */
interface Row {
  caller: Net;
  callee: Net;
  dir: Dir;
  net: Net;
  started: boolean;
  /** Whose endpoint records when started: inbound is the callee's, outbound the caller's. */
  role?: 'caller' | 'callee';
  origin?: string;
}

const ROWS: Row[] = [
  // When an onnet device makes an internal call
  { caller: 'onnet', callee: 'onnet', dir: 'inbound', net: 'onnet', started: true, role: 'callee', origin: 'inbound from onnet to endpoint' },
  { caller: 'onnet', callee: 'onnet', dir: 'inbound', net: 'offnet', started: false },
  { caller: 'onnet', callee: 'onnet', dir: 'outbound', net: 'onnet', started: true, role: 'caller', origin: 'outbound to onnet from endpoint' },
  { caller: 'onnet', callee: 'onnet', dir: 'outbound', net: 'offnet', started: false },
  // When an onnet device makes an external call
  { caller: 'onnet', callee: 'offnet', dir: 'inbound', net: 'onnet', started: false },
  { caller: 'onnet', callee: 'offnet', dir: 'inbound', net: 'offnet', started: false },
  { caller: 'onnet', callee: 'offnet', dir: 'outbound', net: 'onnet', started: false },
  { caller: 'onnet', callee: 'offnet', dir: 'outbound', net: 'offnet', started: true, role: 'caller', origin: 'outbound to offnet from endpoint' },
  // When an offnet endpoint makes a call to an onnet device
  { caller: 'offnet', callee: 'onnet', dir: 'inbound', net: 'onnet', started: false },
  { caller: 'offnet', callee: 'onnet', dir: 'inbound', net: 'offnet', started: true, role: 'callee', origin: 'inbound from offnet to endpoint' },
  { caller: 'offnet', callee: 'onnet', dir: 'outbound', net: 'onnet', started: false },
  { caller: 'offnet', callee: 'onnet', dir: 'outbound', net: 'offnet', started: false },
];

type Level = 'device' | 'user' | 'account endpoint defaults';
const LEVELS: Level[] = ['device', 'user', 'account endpoint defaults'];

/** Endpoints exist only on the onnet side(s); the same setting is put on each of them. */
function build(row: Row, level: Level): PolicyInput {
  const input = baseInput(row.caller, row.callee);
  const endpoint = (who: string): EndpointDocs => {
    const cr: CallRecording = enabledSlot(who, row.dir, row.net);
    return {
      device: { id: `dev-${who}`, owner_id: `user-${who}`, ...(level === 'device' ? { call_recording: cr } : {}) },
      user: { id: `user-${who}`, ...(level === 'user' ? { call_recording: cr } : {}) },
    };
  };
  if (row.caller === 'onnet') input.callerEndpoint = endpoint('a');
  if (row.callee === 'onnet') input.calleeEndpoint = endpoint('b');
  if (level === 'account endpoint defaults') input.account.call_recording = { endpoint: enabledSlot('acct', row.dir, row.net) };
  return input;
}

t.test('endpoint settings: every row of the spec tables, set on the device, the user or the account defaults', async (t) => {
  t.equal(ROWS.length, 12);
  for (const level of LEVELS) {
    for (const row of ROWS) {
      const name = `[${level}] ${row.caller}->${row.callee}: Endpoint -> ${row.dir} -> ${row.net}`;
      const got = recordingsForCall(build(row, level));
      if (!row.started) {
        t.same(got, [], `${name}: no recording`);
        continue;
      }
      t.equal(got.length, 1, `${name}: one recording`);
      const who = row.role === 'caller' ? 'a' : 'b';
      const owner = level === 'account endpoint defaults' ? 'acct' : who;
      t.match(got[0], {
        kind: 'endpoint',
        origin: row.origin,
        role: row.role,
        direction: row.dir,
        network: row.net,
        source: level === 'device' ? 'device' : level === 'user' ? 'user' : 'account',
        endpointId: `dev-${who}`,
        ownerId: `user-${who}`,
        accountId: 'acct1',
        settings: { url: slotUrl(owner, row.dir, row.net) },
      }, `${name}: started on the ${row.role}'s endpoint`);
    }
  }
});

t.test('endpoint settings: the callee\'s inbound recording starts on answer (Kazoo Execute-On-Answer)', async (t) => {
  const input = baseInput('offnet', 'onnet');
  input.calleeEndpoint = { device: { id: 'd', call_recording: enabledSlot('b', 'inbound', 'offnet') } };
  const [r] = recordingsForCall(input);
  t.equal(r.settings.record_on_answer, true);
  t.equal(r.settings.start, 'answer');
  const out = baseInput('onnet', 'offnet');
  out.callerEndpoint = { device: { id: 'd', call_recording: enabledSlot('a', 'outbound', 'offnet') } };
  const [o] = recordingsForCall(out);
  t.equal(o.settings.record_on_answer, false, 'the caller\'s outbound one keeps its own setting');
  t.equal(o.settings.start, 'now');
});

t.test('endpoint settings: an onnet->onnet call with both parties recording gives two recordings', async (t) => {
  const input = baseInput('onnet', 'onnet');
  const both: CallRecording = { inbound: { onnet: { enabled: true } }, outbound: { onnet: { enabled: true } } };
  input.callerEndpoint = { device: { id: 'A', call_recording: both } };
  input.calleeEndpoint = { device: { id: 'B', call_recording: both } };
  const got = recordingsForCall(input);
  t.same(got.map((r) => [r.role, r.endpointId, r.origin]), [
    ['caller', 'A', 'outbound to onnet from endpoint'],
    ['callee', 'B', 'inbound from onnet to endpoint'],
  ]);
});

t.test('endpoint settings: endpoints given on the offnet side are ignored', async (t) => {
  const input = baseInput('offnet', 'offnet');
  const all: CallRecording = { any: { any: { enabled: true } } };
  input.callerEndpoint = { device: { id: 'A', call_recording: all } };
  input.calleeEndpoint = { device: { id: 'B', call_recording: all } };
  t.same(recordingsForCall(input), []);
});

t.test('endpoint settings: a user without a device (user callflow) records under the user id', async (t) => {
  const input = baseInput('offnet', 'onnet');
  input.calleeEndpoint = { user: { id: 'U', call_recording: enabledSlot('u', 'inbound', 'offnet') } };
  const got = recordingsForCall(input);
  t.equal(got.length, 1);
  t.match(got[0], { source: 'user', endpointId: 'U', ownerId: 'U' });
});
