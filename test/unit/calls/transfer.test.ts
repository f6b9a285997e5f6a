/**
 * Transfers, pure parts: the Replaces of a Refer-To (RFC 3891 escaped in the URI), which call
 * holds the dialog it names (our local tag = to-tag), the party log, and which endpoint
 * recordings a transfer ends and starts.
 */
import t from 'tap';
import type Srf from 'drachtio-srf';
import type { Call } from '../../../src/calls';
import { findDialog, replacesOf } from '../../../src/calls/attended';
import { PartyLog } from '../../../src/calls/parties';
import { referTarget } from '../../../src/calls/transfer';
import { CallDirection, RecordingStart, type ResolvedRecordingSettings } from '../../../src/policy';
import { transferDiff } from '../../../src/recording/midcall';
import type { RecordingItem } from '../../../src/recording';

t.test('replacesOf / referTarget', async (t) => {
  const rows: Array<[string, ReturnType<typeof replacesOf>]> = [
    ['<sip:2002@a.test?Replaces=abc%40h%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>', { callId: 'abc@h', toTag: 't1', fromTag: 'f1' }],
    ['<sip:2002@a.test?replaces=abc%3Bfrom-tag%3Df1%3Bto-tag%3Dt1&X=1>', { callId: 'abc', toTag: 't1', fromTag: 'f1' }],
    ['<sip:2002@a.test?X=1&Replaces=abc%3Bto-tag%3Dt1%3Bfrom-tag%3Df1%3Bearly-only>', { callId: 'abc', toTag: 't1', fromTag: 'f1' }],
    ['<sip:2002@a.test?Replaces=abc%3Bto-tag%3Dt1>', undefined],
    ['<sip:2002@a.test?Replaces=%E0%A4%A>', undefined],
    ['<sip:2002@a.test>', undefined],
  ];
  for (const [v, want] of rows) t.same(replacesOf(v), want, v);
  t.same(referTarget('<sip:2002@a.test?Replaces=abc%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>'), { uri: 'sip:2002@a.test', replaces: true });
  t.same(referTarget('"x" <sip:2002@a.test>'), { uri: 'sip:2002@a.test', replaces: false });
  t.equal(referTarget('<http://x>'), undefined);
});

t.test('findDialog: the dialog as the B2BUA sees it (to-tag ours, from-tag the transferor\'s)', async (t) => {
  const dialog = (callId: string, localTag: string, remoteTag: string): Srf.Dialog => ({ sip: { callId, localTag, remoteTag } }) as unknown as Srf.Dialog;
  const x = { uas: dialog('c1', 'us1', 'a1'), uac: dialog('b1', 'us2', 'b') } as unknown as Call;
  const y = { uas: dialog('c2', 'us3', 'c'), uac: dialog('b2', 'us4', 'a2') } as unknown as Call;
  t.same(findDialog([x, y], { callId: 'b2', toTag: 'us4', fromTag: 'a2' }), { call: y, side: 'callee' });
  t.same(findDialog([x, y], { callId: 'c1', toTag: 'us1', fromTag: 'a1' }), { call: x, side: 'caller' });
  t.equal(findDialog([x, y], { callId: 'c1', toTag: 'a1', fromTag: 'us1' }), undefined, 'tags swapped: not that dialog');
  t.equal(findDialog([x, y], { callId: 'nope', toTag: 'us1', fromTag: 'a1' }), undefined);
});

t.test('PartyLog: leave marks the current holder of the side; until() drops later parties', async (t) => {
  const log = new PartyLog();
  log.join({ role: 'caller', joined: 'call', joinedAt: 1 });
  log.join({ role: 'callee', joined: 'call', number: '2001', joinedAt: 2 });
  log.leave('callee', 5);
  log.join({ role: 'callee', joined: 'transfer', number: '2002', joinedAt: 5 });
  t.equal(log.current('callee')?.number, '2002');
  t.same(log.until(4).map((p) => [p.number ?? null, p.leftAt ?? null]), [[null, null], ['2001', 5]]);
  t.equal(log.until(9).length, 3);
  const copy = log.until(9);
  copy[0].leftAt = 99;
  t.equal(log.current('caller')?.leftAt, undefined, 'snapshots are copies');
});

const settings = (url: string): ResolvedRecordingSettings => ({
  format: 'wav', stereo: true, record_sample_rate: 8000, time_limit: 3600, record_min_sec: 0,
  record_on_answer: false, record_on_bridge: false, url, method: 'put', start: RecordingStart.Now, follow_transfer: false,
});
const item = (source: RecordingItem['source'], direction: CallDirection, url: string): RecordingItem => ({
  source, origin: `${source} ${direction}`, direction, settings: settings(url), callerOnly: false, terminators: [],
});

t.test('transferDiff: the leaving party\'s endpoint recordings end, the new party\'s start, the account\'s go on', async (t) => {
  const account = { item: item('account', CallDirection.Inbound, 'http://r/acct') };
  const callerEp = { item: item('endpoint', CallDirection.Outbound, 'http://r/a') };
  const calleeEp = { item: item('endpoint', CallDirection.Inbound, 'http://r/b') };
  const flow = { item: item('callflow', CallDirection.Outbound, 'http://r/cf') };
  const live = [account, callerEp, calleeEp, flow];
  const newEp = item('endpoint', CallDirection.Inbound, 'http://r/c');
  const rows: Array<[string, 'caller' | 'callee', RecordingItem[], unknown[], RecordingItem[]]> = [
    ['callee replaced', 'callee', [account.item, newEp], [calleeEp], [newEp]],
    ['caller replaced', 'caller', [newEp], [callerEp], [newEp]],
    ['new party has the same settings as one that stays', 'caller', [calleeEp.item], [callerEp], []],
    ['attended (nothing new planned)', 'callee', [], [calleeEp], []],
  ];
  for (const [name, side, fresh, drop, add] of rows) t.same(transferDiff(live, side, fresh), { drop, add }, name);
});
