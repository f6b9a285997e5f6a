/**
 * The channels API's pure parts: where Crossbar finds `action`, the metaflow body checked as
 * Kazoo's `metaflow` / `metaflows.record_call` schemas (field errors keyed from the node) and
 * flattened into its `_` chain, and the Gregorian timestamps of channel objects.
 */
import t from 'tap';
import { compileValidator, createAjv } from '../../../src/api/validation';
import { MetaflowRecordCall, parseMetaflow, requestAction } from '../../../src/api/routes/channels';
import pino from 'pino';
import { Call } from '../../../src/calls';
import { RecordingState } from '../../../src/recorder';
import { callBelongsTo, channelView, gregorianSeconds } from '../../../src/service/channels';
import { CalleeKind, CallerKind, type Caller } from '../../../src/signalling/direction';

const validators = { record_call: compileValidator(createAjv(), MetaflowRecordCall) };

t.test('requestAction: the envelope first, then data', async (t) => {
  const rows: [unknown, unknown][] = [
    [{ action: 'metaflow', data: { module: 'hangup' } }, 'metaflow'],
    [{ data: { action: 'hangup' } }, 'hangup'],
    [{ action: 'metaflow', data: { action: 'hangup' } }, 'metaflow'],
    [{ data: {} }, undefined],
    [{}, undefined],
    ['text', undefined],
    [{ data: 'x' }, undefined],
  ];
  for (const [body, want] of rows) t.equal(requestAction(body), want, JSON.stringify(body));
});

t.test('parseMetaflow: valid bodies flatten into steps', async (t) => {
  const one = parseMetaflow({ module: 'record_call', data: { action: 'start', format: 'wav' } }, validators);
  t.ok('steps' in one);
  if ('steps' in one) {
    t.equal(one.steps.length, 1);
    t.equal(one.steps[0].module, 'record_call');
    t.match(one.steps[0].data, { action: 'start', format: 'wav', time_limit: 3600 }, 'schema defaults applied');
  }
  const chain = parseMetaflow({
    module: 'record_call', data: { action: 'stop' },
    children: { _: { module: 'record_call', data: { action: 'start', label: 'again' }, children: { _: { module: 'hangup' } } } },
  }, validators);
  t.same('steps' in chain ? chain.steps.map((s) => [s.module, s.data.action ?? null]) : chain, [['record_call', 'stop'], ['record_call', 'start'], ['hangup', null]]);
  const noData = parseMetaflow({ module: 'record_call' }, validators);
  t.same('steps' in noData ? noData.steps.map((s) => s.module) : noData, ['record_call'], 'data defaults to {}');
});

t.test('parseMetaflow: field errors keyed from the node', async (t) => {
  const rows: { name: string; body: unknown; want: Record<string, string[]> }[] = [
    { name: 'module missing (the nested shape Kazoo also refuses)', body: { action: 'metaflow', data: { module: 'record_call' } }, want: { module: ['required'] } },
    { name: 'module not a string', body: { module: 7 }, want: { module: ['type'] } },
    { name: 'module empty', body: { module: '' }, want: { module: ['minLength'] } },
    { name: 'module too long', body: { module: 'x'.repeat(65) }, want: { module: ['maxLength'] } },
    { name: 'module not offered', body: { module: 'transfer', data: {} }, want: { module: ['enum'] } },
    { name: 'data not an object', body: { module: 'record_call', data: [1] }, want: { data: ['type'] } },
    { name: 'bad action', body: { module: 'record_call', data: { action: 'pause_all' } }, want: { 'data.action': ['enum'] } },
    { name: 'bad format and time_limit', body: { module: 'record_call', data: { format: 'ogg', time_limit: 99999 } }, want: { 'data.format': ['enum'], 'data.time_limit': ['maximum'] } },
    { name: 'bad url', body: { module: 'record_call', data: { url: 'ftp://x/y' } }, want: { 'data.url': ['format'] } },
    { name: 'error in a child', body: { module: 'record_call', data: {}, children: { _: { module: 'record_call', data: { record_on_answer: 'yes' } } } }, want: { 'children._.data.record_on_answer': ['type'] } },
    { name: 'children not an object', body: { module: 'hangup', children: [] }, want: { children: ['type'] } },
    { name: 'body data not an object', body: 'x', want: { '': ['type'] } },
  ];
  for (const r of rows) {
    const out = parseMetaflow(r.body, validators);
    t.ok('errors' in out, `${r.name}: refused`);
    if ('errors' in out) t.same(Object.fromEntries(Object.entries(out.errors).map(([k, v]) => [k, Object.keys(v)])), r.want, r.name);
  }
});

t.test('parseMetaflow: a chain deeper than 16 nodes is refused', async (t) => {
  let node: Record<string, unknown> = { module: 'hangup' };
  for (let i = 0; i < 20; i++) node = { module: 'record_call', data: {}, children: { _: node } };
  const out = parseMetaflow(node, validators);
  t.ok('errors' in out);
  if ('errors' in out) t.ok(Object.values(out.errors).some((e) => 'maxDepth' in e));
});

t.test('gregorianSeconds: Kazoo\'s calendar seconds', async (t) => {
  t.equal(gregorianSeconds(new Date(0)), 62167219200);
  t.equal(gregorianSeconds(new Date('2015-06-01T00:00:00.999Z')), 62167219200 + 1433116800);
});

t.test('channelView and callBelongsTo: a trunk call routed to another account', async (t) => {
  const trunkAcct = { id: 'carrier-acct', realm: 'c.test' };
  const caller: Caller = { kind: CallerKind.Trunk, account: trunkAcct, resource: { id: 'res1', account_id: 'carrier-acct', rules: [], gateways: [] }, sourceAddress: '192.0.2.9' };
  const call = new Call('cid-1', caller, pino({ level: 'silent' }), { noAnswerMs: 1000, onNoAnswer: () => undefined });
  t.ok(callBelongsTo(call, 'carrier-acct'), 'the caller\'s account before routing');
  call.decision = { accountId: 'did-acct', number: '4420000', callee: { kind: CalleeKind.Device, device: { id: 'd', account_id: 'did-acct', sip: { username: '2001', password: 'x' } } }, stages: [], actions: [], answerFirst: [] };
  t.ok(callBelongsTo(call, 'did-acct'), 'the routing account');
  t.ok(callBelongsTo(call, 'carrier-acct'), 'and still the trunk\'s');
  t.notOk(callBelongsTo(call, 'third'));
  const v = channelView(call, [{ source: 'account', origin: 'inbound from offnet to onnet', format: 'mp3', state: RecordingState.Recording, paused: true }]);
  t.same({ ...v, timestamp: 0 }, {
    uuid: 'cid-1', answered: false, state: 'routing', direction: 'inbound', call_direction: null,
    authorizing_type: 'resource', authorizing_id: 'res1', destination: '4420000', other_leg: null, timestamp: 0,
    recordings: [{ source: 'account', origin: 'inbound from offnet to onnet', format: 'mp3', state: 'recording', paused: true }],
  });
  t.equal(v.timestamp, gregorianSeconds(call.startedAt));
});

t.test('channelView: a device caller carries username, presence and owner', async (t) => {
  const caller: Caller = { kind: CallerKind.Device, account: { id: 'a', realm: 'a.test' }, device: { id: 'dev', account_id: 'a', owner_id: 'u1', sip: { username: '1001', password: 'x' } } };
  const call = new Call('cid-2', caller, pino({ level: 'silent' }), { noAnswerMs: 1000, onNoAnswer: () => undefined });
  t.match(channelView(call, []), { authorizing_type: 'device', authorizing_id: 'dev', owner_id: 'u1', username: '1001', presence_id: '1001@a.test', recordings: [] });
});
