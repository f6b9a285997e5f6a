/**
 * Planning rules added for issue 5 items 2 and 4, table-driven with exact expectations:
 *  - planCall refuses every recording without an upload URL (RefusalReason.NoUrl) and keeps the
 *    others in order;
 *  - recordCallerSteps: the record_caller nodes met before the routing module, each the caller
 *    alone (mono 8 kHz, from its answer, ended by #), or refused without a URL;
 *  - restrictOffer: the callee is offered only the codec the caller was answered with;
 *  - answerForRecorder with 'sendrecv' (the temporary callee of record_caller before routing).
 */
import t from 'tap';
import type { AccountInfo, DeviceInfo, ResourceInfo } from '../../../src/directory/types';
import { RECORD_CALLER_TERMINATORS, RecordingStart } from '../../../src/policy';
import { answerForRecorder, restrictOffer } from '../../../src/calls';
import { RefusalReason, pauseModeOf, planCall, recordCallerSteps, type PlanInput } from '../../../src/recording';
import { CalleeKind, CallerKind, type Callee, type Caller } from '../../../src/signalling/direction';

const URL = 'http://rec.example.com/store';
const account = (cr?: Record<string, unknown>): AccountInfo => ({ id: 'acct', realm: 'a.test', ...(cr ? { call_recording: cr } : {}) });
const device = (id: string, cr?: Record<string, unknown>): DeviceInfo => ({
  id, account_id: 'acct', sip: { username: id, password: 'x' }, ...(cr ? { call_recording: cr } : {}),
});
const trunk: ResourceInfo = { id: 'res', account_id: 'acct', gateways: [{ server: '192.0.2.1' }], rules: ['.*'] };
const phone = (d: DeviceInfo): Caller => ({ kind: CallerKind.Device, account: account(), device: d });
const carrier: Caller = { kind: CallerKind.Trunk, account: account(), resource: trunk, sourceAddress: '192.0.2.1' };
const callee = (d: DeviceInfo): Callee => ({ kind: CalleeKind.Device, device: d });
const offnet: Callee = { kind: CalleeKind.Resource, number: '15551234567' };
const input = (p: Partial<PlanInput> & Pick<PlanInput, 'caller' | 'callee'>): PlanInput => ({ callId: 'call-1', account: account(), actions: [], ...p });

interface PlanRow {
  name: string;
  in: PlanInput;
  items: string[];
  refused: Array<{ origin: string; source: string; direction: string }>;
}

const planRows: PlanRow[] = [
  {
    name: 'account recording with a URL: started',
    in: input({ caller: carrier, callee: callee(device('d2')), account: account({ account: { inbound: { offnet: { enabled: true, url: URL } } } }) }),
    items: ['inbound from offnet to account'], refused: [],
  },
  {
    name: 'account recording enabled without a URL: refused',
    in: input({ caller: carrier, callee: callee(device('d2')), account: account({ account: { inbound: { offnet: { enabled: true } } } }) }),
    items: [], refused: [{ origin: 'inbound from offnet to account', source: 'account', direction: 'inbound' }],
  },
  {
    name: 'a URL that is not http(s) counts as none',
    in: input({ caller: phone(device('d1')), callee: offnet, account: account({ account: { outbound: { offnet: { enabled: true, url: 'ftp://x.example/up' } } } }) }),
    items: [], refused: [{ origin: 'outbound to offnet from account', source: 'account', direction: 'outbound' }],
  },
  {
    name: 'endpoint without URL refused, account with URL kept',
    in: input({
      caller: phone(device('d1', { outbound: { offnet: { enabled: true } } })), callee: offnet,
      account: account({ account: { outbound: { offnet: { enabled: true, url: URL } } } }),
    }),
    items: ['outbound to offnet from account'],
    refused: [{ origin: 'outbound to offnet from endpoint', source: 'endpoint', direction: 'outbound' }],
  },
  {
    name: 'record_call without URL refused; record_call with URL kept (flow order)',
    in: input({
      caller: phone(device('d1')), callee: callee(device('d2')),
      actions: [{ module: 'record_call', data: { label: 'nourl' } }, { module: 'record_call', data: { label: 'ok', url: URL } }],
    }),
    items: ['callflow : ok'], refused: [{ origin: 'callflow : nourl', source: 'callflow', direction: 'outbound' }],
  },
  {
    name: 'record_call stop removes an earlier refused start too (nothing asked any more)',
    in: input({ caller: phone(device('d1')), callee: callee(device('d2')), actions: [{ module: 'record_call', data: {} }, { module: 'record_call', data: { action: 'stop' } }] }),
    items: [], refused: [],
  },
  {
    name: 'record_caller is planned by recordCallerSteps, not here',
    in: input({ caller: phone(device('d1')), callee: callee(device('d2')), actions: [{ module: 'record_caller', data: {} }] }),
    items: [], refused: [],
  },
];

for (const row of planRows) {
  t.test(`planCall: ${row.name}`, async (t) => {
    const got = planCall(row.in);
    t.same(got.items.map((i) => i.origin), row.items, 'started');
    t.same(got.refused, row.refused.map((r) => ({ ...r, reason: RefusalReason.NoUrl })), 'refused');
    for (const i of got.items) t.equal(i.settings.url, URL, 'kept items carry their URL');
  });
}

t.test('planCall: record_call pause / resume before routing decide whether the recordings begin paused; pauseModeOf', async (t) => {
  const base = { caller: phone(device('d1')), callee: callee(device('d2')) };
  const rc = (data: Record<string, unknown>): PlanInput['actions'][number] => ({ module: 'record_call', data });
  const rows: [string, PlanInput['actions'], boolean][] = [
    ['start then pause', [rc({ url: URL }), rc({ action: 'pause' })], true],
    ['pause then resume', [rc({ action: 'pause' }), rc({ url: URL }), rc({ action: 'resume' })], false],
    ['no pause', [rc({ url: URL })], false],
  ];
  for (const [name, actions, paused] of rows) {
    const got = planCall(input({ ...base, actions }));
    t.equal(got.paused === true, paused, name);
    t.same(got.items.map((i) => i.origin), ['callflow : record_call'], `${name}: pause / resume start nothing`);
  }
  t.equal(pauseModeOf(account({ pause_mode: 'omit' })), 'omit');
  t.equal(pauseModeOf(account({ pause_mode: 'silence' })), 'silence');
  t.equal(pauseModeOf(account()), 'silence', 'silence by default');
});

interface StepRow {
  name: string;
  caller: Caller;
  actions: PlanInput['actions'];
  items: Array<{ direction: string; format: string; method: string; timeLimit: number; mediaName: string }>;
  refused: number;
}

const stepRows: StepRow[] = [
  { name: 'no record_caller', caller: phone(device('d1')), actions: [{ module: 'record_call', data: { url: URL } }], items: [], refused: 0 },
  {
    name: 'defaults: mp3, put, 3600 s, named after the call',
    caller: phone(device('d1')), actions: [{ module: 'record_caller', data: { url: URL } }],
    items: [{ direction: 'outbound', format: 'mp3', method: 'put', timeLimit: 3600, mediaName: 'call-1.mp3' }], refused: 0,
  },
  {
    name: 'carrier caller, wav, post, 20 s',
    caller: carrier, actions: [{ module: 'record_caller', data: { url: URL, format: 'wav', method: 'post', time_limit: 20 } }],
    items: [{ direction: 'inbound', format: 'wav', method: 'post', timeLimit: 20, mediaName: 'call-1.wav' }], refused: 0,
  },
  { name: 'without URL: refused', caller: phone(device('d1')), actions: [{ module: 'record_caller', data: { format: 'wav' } }], items: [], refused: 1 },
  {
    name: 'two nodes, the first without URL',
    caller: phone(device('d1')), actions: [{ module: 'record_caller', data: {} }, { module: 'record_caller', data: { url: URL, time_limit: 5 } }],
    items: [{ direction: 'outbound', format: 'mp3', method: 'put', timeLimit: 5, mediaName: 'call-1.mp3' }], refused: 1,
  },
];

for (const row of stepRows) {
  t.test(`recordCallerSteps: ${row.name}`, async (t) => {
    const got = recordCallerSteps({ callId: 'call-1', caller: row.caller, actions: row.actions });
    t.equal(got.refused.length, row.refused, 'refused');
    for (const r of got.refused) t.same(r, { source: 'caller', origin: 'callflow : record_caller', direction: r.direction, reason: RefusalReason.NoUrl });
    t.same(got.items.map((i) => ({
      direction: i.direction, format: i.settings.format, method: i.settings.method, timeLimit: i.settings.time_limit, mediaName: i.settings.media_name,
    })), row.items);
    for (const i of got.items) {
      t.equal(i.source, 'caller');
      t.equal(i.origin, 'callflow : record_caller');
      t.equal(i.callerOnly, true);
      t.same(i.terminators, RECORD_CALLER_TERMINATORS);
      t.equal(i.settings.stereo, false, 'mono');
      t.equal(i.settings.record_sample_rate, 8000, 'mono default rate');
      t.equal(i.settings.start, RecordingStart.Now, 'from the moment it is answered');
    }
  });
}

const sdp = (...lines: string[]): string => [...lines, ''].join('\r\n');
const head = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];

const restrictRows: Array<{ name: string; offer: string; pt: number; te?: number; want: string }> = [
  {
    name: 'PCMU + telephone-event kept, PCMA and G.722 dropped with their attributes',
    offer: sdp(...head, 'm=audio 4000 RTP/AVP 0 8 9 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=sendrecv', 'a=rtcp:4001'),
    pt: 0, te: 101,
    want: sdp(...head, 'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=sendrecv', 'a=rtcp:4001'),
  },
  {
    name: 'PCMA alone: telephone-event dropped when the caller was answered without it',
    offer: sdp(...head, 'm=audio 4000 RTP/AVP 8 0 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'),
    pt: 8,
    want: sdp(...head, 'm=audio 4000 RTP/AVP 8'),
  },
  {
    name: 'only the first live audio line is reduced; a video line is left alone',
    offer: sdp(...head, 'm=audio 0 RTP/AVP 0 8', 'm=audio 4002 RTP/AVP 8 0', 'a=rtpmap:8 PCMA/8000', 'm=video 5000 RTP/AVP 96', 'a=rtpmap:96 H264/90000'),
    pt: 0,
    want: sdp(...head, 'm=audio 0 RTP/AVP 0 8', 'm=audio 4002 RTP/AVP 0', 'm=video 5000 RTP/AVP 96', 'a=rtpmap:96 H264/90000'),
  },
];

for (const row of restrictRows) {
  t.test(`restrictOffer: ${row.name}`, async (t) => {
    t.equal(restrictOffer(row.offer, row.pt, row.te), row.want);
  });
}

t.test('answerForRecorder sendrecv: the temporary callee before routing keeps the session two-way', async (t) => {
  const a = answerForRecorder(sdp(...head, 'm=audio 4000 RTP/AVP 8 101', 'a=rtpmap:101 telephone-event/8000'), '127.0.0.1', 30010, 9, 'sendrecv');
  t.equal(a.encoding, 'PCMA');
  t.equal(a.telephoneEventPt, 101);
  t.equal(a.sdp, sdp('v=0', 'o=- 9 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=audio 30010 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv'));
});
