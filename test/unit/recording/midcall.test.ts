/**
 * Mid-call record actions (callflow continuation after a failed routing module, API metaflow):
 * the steps midcallSteps decides from the actions and what runs, konami's reading of a
 * record_call action, and the policy diff when the callflow moved on to another callee.
 */
import t from 'tap';
import { CallDirection, RecordingStart, type ResolvedRecordingSettings } from '../../../src/policy';
import { diffPolicy, describeStep, midcallSteps, recordCallAction, type MidcallAction, type RecordingItem } from '../../../src/recording';
import { unfollowed } from '../../../src/recording/midcall';

const settings = (over: Partial<ResolvedRecordingSettings> = {}): ResolvedRecordingSettings => ({
  format: 'mp3', stereo: true, record_sample_rate: 16000, time_limit: 3600, record_min_sec: 0,
  record_on_answer: false, record_on_bridge: false,
  url: 'http://rec.test/up', method: 'put', start: RecordingStart.Now, follow_transfer: true, ...over,
});

const item = (source: RecordingItem['source'], origin: string, over: Partial<ResolvedRecordingSettings> = {}, direction = CallDirection.Outbound): RecordingItem => ({
  source, origin, direction, settings: settings(over), callerOnly: false, terminators: [],
});

/** A planner that turns a record_call start into one callflow item labelled by data.label. */
const plan = (a: MidcallAction): RecordingItem[] => [
  item('account', 'inbound from onnet to onnet'),
  ...(a.module === 'record_call' ? [item('callflow', `callflow : ${String(a.data.label ?? 'cf')}`)] : []),
];
const noUrl = (): RecordingItem[] => [];

const rc = (data: Record<string, unknown>): MidcallAction => ({ module: 'record_call', data });

t.test('recordCallAction: konami reads absent as start; toggle flips on what runs', async (t) => {
  const rows: [Record<string, unknown>, boolean, 'start' | 'stop'][] = [
    [{}, false, 'start'],
    [{}, true, 'start'],
    [{ action: 'start' }, true, 'start'],
    [{ action: 'stop' }, false, 'stop'],
    [{ action: 'stop' }, true, 'stop'],
    [{ action: 'toggle' }, false, 'start'],
    [{ action: 'toggle' }, true, 'stop'],
    [{ action: 'bogus' }, false, 'start'],
  ];
  for (const [data, running, want] of rows) t.equal(recordCallAction(data, running), want, `${JSON.stringify(data)} running=${running}`);
  const pauses: [Record<string, unknown>, boolean, string][] = [
    [{ action: 'pause' }, false, 'pause'],
    [{ action: 'resume' }, true, 'resume'],
    [{ action: 'mask' }, false, 'pause'],
    [{ action: 'unmask' }, true, 'resume'],
    [{ action: 'pause_toggle' }, false, 'pause'],
    [{ action: 'pause_toggle' }, true, 'resume'],
  ];
  for (const [data, paused, want] of pauses) t.equal(recordCallAction(data, true, paused), want, `${JSON.stringify(data)} paused=${paused}`);
});

t.test('midcallSteps: pause and resume, and their refusals', async (t) => {
  const rows: { name: string; actions: MidcallAction[]; live: RecordingItem['source'][]; paused: boolean; want: string[] }[] = [
    { name: 'pause a running recording', actions: [rc({ action: 'pause' })], live: ['account'], paused: false, want: ['pause the call\'s recordings'] },
    { name: 'pause twice', actions: [rc({ action: 'pause' }), rc({ action: 'pause' })], live: ['account'], paused: false, want: ['pause the call\'s recordings', 'refuse: RECORDING_ALREADY_PAUSED'] },
    { name: 'pause when paused', actions: [rc({ action: 'pause' })], live: ['account'], paused: true, want: ['refuse: RECORDING_ALREADY_PAUSED'] },
    { name: 'resume without pause', actions: [rc({ action: 'resume' })], live: ['account'], paused: false, want: ['refuse: RECORDING_NOT_PAUSED'] },
    { name: 'pause with nothing recorded', actions: [rc({ action: 'pause' })], live: [], paused: false, want: ['refuse: RECORDING_NOT_ACTIVE'] },
    { name: 'start then pause', actions: [rc({ label: 'a' }), rc({ action: 'pause' })], live: [], paused: false, want: ['start callflow : a', 'pause the call\'s recordings'] },
    { name: 'pause_toggle twice', actions: [rc({ action: 'pause_toggle' }), rc({ action: 'pause_toggle' })], live: ['account'], paused: false, want: ['pause the call\'s recordings', 'resume the call\'s recordings'] },
  ];
  for (const r of rows) t.same(midcallSteps(r.actions, new Set(r.live), plan, r.paused).map(describeStep), r.want, r.name);
});

t.test('midcallSteps: table of action sequences', async (t) => {
  const rows: { name: string; actions: MidcallAction[]; live: RecordingItem['source'][]; want: string[]; planner?: (a: MidcallAction) => RecordingItem[] }[] = [
    { name: 'stop with a callflow recording running', actions: [rc({ action: 'stop' })], live: ['callflow', 'account'], want: ['stop callflow recordings'] },
    { name: 'stop with nothing running still stops (idempotent)', actions: [rc({ action: 'stop' })], live: [], want: ['stop callflow recordings'] },
    { name: 'start with none running', actions: [rc({ action: 'start', label: 'b' })], live: ['account'], want: ['start callflow : b'] },
    { name: 'start while one runs: skipped', actions: [rc({ action: 'start', label: 'b' })], live: ['callflow'], want: ['skip record_call: already_recording'] },
    { name: 'stop then start with other settings', actions: [rc({ action: 'stop' }), rc({ action: 'start', label: 'second' })], live: ['callflow'], want: ['stop callflow recordings', 'start callflow : second'] },
    { name: 'start then start: the second skipped', actions: [rc({ label: 'a' }), rc({ label: 'b' })], live: [], want: ['start callflow : a', 'skip record_call: already_recording'] },
    { name: 'toggle twice', actions: [rc({ action: 'toggle' }), rc({ action: 'toggle' })], live: [], want: ['start callflow : cf', 'stop callflow recordings'] },
    { name: 'start the planner refuses (no URL)', actions: [rc({ action: 'start' })], live: [], want: ['skip record_call: nothing_planned'], planner: noUrl },
    { name: 'record_caller mid-call: unsupported', actions: [{ module: 'record_caller', data: {} }], live: [], want: ['skip record_caller: unsupported'] },
    { name: 'no actions', actions: [], live: ['callflow'], want: [] },
  ];
  for (const r of rows) {
    const steps = midcallSteps(r.actions, new Set(r.live), r.planner ?? plan);
    t.same(steps.map(describeStep), r.want, r.name);
  }
});

t.test('midcallSteps: a start carries only the callflow items of the plan, with the action forced to start', async (t) => {
  const seen: MidcallAction[] = [];
  const steps = midcallSteps([rc({ action: 'toggle', label: 'x' })], new Set(), (a) => { seen.push(a); return plan(a); });
  t.same(seen, [{ module: 'record_call', data: { action: 'start', label: 'x' } }]);
  t.equal(steps.length, 1);
  const s = steps[0];
  t.equal(s.kind, 'start');
  if (s.kind === 'start') t.same(s.items.map((i) => i.source), ['callflow']);
});

t.test('diffPolicy: shared items go on, the failed callee\'s are dropped, the new callee\'s added', async (t) => {
  const account = item('account', 'inbound from onnet to onnet', {}, CallDirection.Inbound);
  const callerEp = item('endpoint', 'outbound from onnet to onnet');
  const calleeA = item('endpoint', 'inbound from onnet to onnet', { url: 'http://rec.test/a' }, CallDirection.Inbound);
  const calleeB = item('endpoint', 'inbound from onnet to onnet', { url: 'http://rec.test/b' }, CallDirection.Inbound);
  const cf = item('callflow', 'callflow : x');
  const current = [account, callerEp, calleeA, cf].map((i) => ({ item: i }));
  const d = diffPolicy(current, [account, callerEp, calleeB, cf]);
  t.same(d.drop.map((e) => e.item), [calleeA], 'callee A dropped');
  t.same(d.add, [calleeB], 'callee B added; callflow items are not the policy\'s business');
  const same = diffPolicy(current, [account, callerEp, calleeA]);
  t.same(same, { drop: [], add: [] }, 'an identical plan changes nothing');
  const toTrunk = diffPolicy(current, [item('account', 'outbound from onnet to offnet'), callerEp]);
  t.same(toTrunk.drop.map((e) => e.item.origin), ['inbound from onnet to onnet', 'inbound from onnet to onnet'], 'account rule and callee endpoint dropped');
  t.same(toTrunk.add.map((i) => i.origin), ['outbound from onnet to offnet']);
});

t.test('unfollowed: only a record_call start with should_follow_transfer false ends at a transfer', async (t) => {
  const rows: [string, RecordingItem, boolean][] = [
    ['record_call, follow false', item('callflow', 'callflow : pci', { follow_transfer: false }), true],
    ['record_call, follow true (Kazoo default)', item('callflow', 'callflow : cf', { follow_transfer: true }), false],
    ['account policy (anchored: goes on)', item('account', 'outbound from onnet to offnet', { follow_transfer: false }), false],
    ['endpoint policy (transferDiff decides)', item('endpoint', 'outbound from onnet', { follow_transfer: false }), false],
    ['record_caller', item('caller', 'callflow : record_caller', { follow_transfer: false }), false],
  ];
  for (const [name, it, ends] of rows) t.equal(unfollowed([{ item: it }]).length === 1, ends, name);
});
