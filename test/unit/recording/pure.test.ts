/**
 * The recording part's small pure functions: From/To parsing, the delivery metadata of a
 * finished recording, the store document of a delivery record, the API's Accept test, the
 * mapping of delivery error codes onto the upload metric's labels, and stop reasons.
 */
import t from 'tap';
import { HangupBy, HangupCause } from '../../../src/calls';
import { DeliveryStatus, type DeliveryRecord } from '../../../src/delivery';
import { CallDirection, RecordingStart } from '../../../src/policy';
import type { RecordingResult } from '../../../src/recorder';
import { addressOf, displayNameOf, recordingDoc, recordingMeta, stopReasonOf, uploadResultOf, type RecordingItem } from '../../../src/recording';
import { wantsAudio } from '../../../src/api/routes/recordings';

t.test('addressOf / displayNameOf', async (t) => {
  const rows: Array<[string | undefined, string | undefined, string | undefined]> = [
    ['"Alice" <sip:1001@a.test>;tag=x', '1001@a.test', 'Alice'],
    ['<sip:2000@a.test>', '2000@a.test', undefined],
    ['Bob <sips:bob@b.test:5061;transport=tls>;tag=1', 'bob@b.test:5061', 'Bob'],
    ['sip:15551234567@carrier.test;tag=9', '15551234567@carrier.test', undefined],
    ['<tel:+15551234567>', '+15551234567', undefined],
    ['', undefined, undefined],
    [undefined, undefined, undefined],
    ['garbage', undefined, undefined],
  ];
  for (const [h, addr, name] of rows) {
    t.equal(addressOf(h), addr, `address of ${String(h)}`);
    t.equal(displayNameOf(h), name, `name of ${String(h)}`);
  }
});

const item: RecordingItem = {
  source: 'callflow', origin: 'callflow : sales', label: 'sales', direction: CallDirection.Outbound, ownerId: 'u1',
  settings: {
    format: 'mp3', stereo: true, record_sample_rate: 16000, time_limit: 3600, record_min_sec: 0, record_on_answer: true,
    record_on_bridge: false, start: RecordingStart.Answer, url: 'http://x.test/r', method: 'post', follow_transfer: true,
  },
  callerOnly: false, terminators: [],
};
const result: RecordingResult = {
  path: '/tmp/x.mp3', format: 'mp3', durationSec: 4.0125, sampleRate: 16000, channels: 2, bytes: 1234,
  packetsReceived: 400, packetsLost: 0, packetsLate: 0, discarded: false, reason: 'hangup', beganAtSec: 1,
  startedAt: 1_700_000_000_123, endedAt: 1_700_000_004_200, encoderSec: 0.01, legs: {}, paused: [],
};

t.test('recordingMeta', async (t) => {
  t.same(recordingMeta({ accountId: 'a1', callId: 'c1', from: '1001@a.test', to: '2000@a.test', callerIdNumber: '1001', callerIdName: 'Alice', calleeIdNumber: '2000' }, item, result), {
    accountId: 'a1', callId: 'c1', origin: 'callflow : sales', label: 'sales', from: '1001@a.test', to: '2000@a.test',
    callerIdName: 'Alice', callerIdNumber: '1001', calleeIdNumber: '2000', ownerId: 'u1', direction: 'outbound',
    startedAt: 1_700_000_000_123, durationMs: 4013, format: 'mp3', sampleRate: 16000, url: 'http://x.test/r', method: 'post',
  });
  const bare = recordingMeta({ accountId: 'a1', callId: 'c1' }, { ...item, label: undefined, ownerId: undefined, settings: { ...item.settings, url: undefined } } as RecordingItem, { ...result, startedAt: null });
  t.equal(bare.url, '', 'no URL: empty (delivery marks it url_invalid and keeps the file)');
  t.equal(bare.startedAt, result.endedAt, 'never-begun recordings fall back to the end time');
  t.notOk('label' in bare);
  t.notOk('from' in bare);
});

t.test('recordingDoc', async (t) => {
  const rec: DeliveryRecord = {
    id: '202611-abc', status: DeliveryStatus.Failed, cdrId: '202611-c1', file: 'x.mp3', sourcePath: null, size: 1234,
    targetUrl: 'http://x.test/r/call_recording_c1.mp3?from=a', name: 'call_recording_c1.mp3', contentType: 'audio/mpeg',
    attempts: 3, lastError: { code: 'http_status', message: 'HTTP 500', at: 5 }, enqueuedAt: 1, horizonFrom: 1, updatedAt: 2,
    nextAttemptAt: null, uploadedAt: null, httpStatus: null, fileKept: true,
    meta: recordingMeta({ accountId: 'a1', callId: 'c1' }, item, result),
  };
  t.same(recordingDoc(rec), {
    call_id: 'c1', cdr_id: '202611-c1', origin: 'callflow : sales', label: 'sales', from: null, to: null,
    caller_id_name: null, caller_id_number: null, callee_id_number: null, owner_id: 'u1', direction: 'outbound',
    start: 1_700_000_000, start_ms: 1_700_000_000_123, duration_ms: 4013, duration: 4, media_type: 'mp3', sample_rate: 16000,
    content_type: 'audio/mpeg', name: 'call_recording_c1.mp3', size: 1234, url: 'http://x.test/r/call_recording_c1.mp3?from=a',
    method: 'post', status: 'failed', attempts: 3, last_error: { code: 'http_status', message: 'HTTP 500', at: 5 },
    uploaded_at: null, http_status: null, file_kept: true, media_status: null, media_error: null, media_legs: null, paused_intervals: [], parties: [],
  });
  const media = { status: 'partial' as const, reason: 'callee: recorder got 0 of 600 packets', legs: { caller: { forwarded: 600, received: 600 }, callee: { forwarded: 600, received: 0 } } };
  const withMedia = recordingDoc({ ...rec, meta: recordingMeta({ accountId: 'a1', callId: 'c1' }, item, result, media) });
  t.same([withMedia.media_status, withMedia.media_error, withMedia.media_legs], [media.status, media.reason, media.legs], 'the media check is in the record');
  const pause = { offsetMs: 1000.125, durationMs: 2500, startedAt: 1_700_000_001_123, endedAt: 1_700_000_003_623, omitted: false };
  const paused = recordingMeta({ accountId: 'a1', callId: 'c1' }, item, { ...result, paused: [pause] });
  t.same(paused.paused, [pause], 'the meta (upload webhook) lists the paused intervals');
  t.same(recordingDoc({ ...rec, meta: paused }).paused_intervals, [{ offset_ms: 1000.125, duration_ms: 2500, started_at_ms: 1_700_000_001_123, ended_at_ms: 1_700_000_003_623, omitted: false }], 'and the record');
  t.notOk('paused' in rec.meta, 'no paused key when never paused');
  const party = { role: 'callee' as const, joined: 'transfer' as const, number: '2002', deviceId: 'd2', joinedAt: 1_700_000_002_000 };
  const withParties = recordingMeta({ accountId: 'a1', callId: 'c1', parties: [party] }, item, result);
  t.same(withParties.parties, [party], 'the meta (webhook) lists the parties');
  t.same(recordingDoc({ ...rec, meta: withParties }).parties, [{
    role: 'callee', joined: 'transfer', number: '2002', device_id: 'd2', owner_id: null, resource_id: null, joined_at_ms: 1_700_000_002_000, left_at_ms: null,
  }], 'and the record, snake_case, absent fields null');
  t.notOk('parties' in rec.meta, 'no parties key when none is known');
});

t.test('wantsAudio', async (t) => {
  const rows: Array<[string | undefined, boolean]> = [
    [undefined, false], ['application/json', false], ['*/*', false], ['audio/mpeg', true], ['audio/mp3', true],
    ['audio/wav', true], ['audio/x-wav', true], ['application/json, audio/mpeg;q=0.5', true], ['audio/*', true], ['text/audio/mpeg', false],
  ];
  for (const [h, want] of rows) t.equal(wantsAudio(h), want, String(h));
});

t.test('uploadResultOf', async (t) => {
  const rows: Array<[string, string]> = [
    ['http_status', 'http_error'], ['too_many_redirects', 'http_error'], ['url_refused', 'refused'], ['url_invalid', 'refused'],
    ['connect_timeout', 'network_error'], ['transfer_timeout', 'network_error'], ['dns_failed', 'network_error'],
    ['connection_failed', 'network_error'], ['horizon_reached', 'network_error'], ['file_missing', 'network_error'],
  ];
  for (const [code, want] of rows) t.equal(uploadResultOf(code), want, code);
});

t.test('stopReasonOf', async (t) => {
  t.equal(stopReasonOf({ cause: HangupCause.NormalClearing, by: HangupBy.Caller }), 'hangup');
  t.equal(stopReasonOf({ cause: HangupCause.MediaTimeout, by: HangupBy.System }), 'media_failed');
  t.equal(stopReasonOf(undefined), 'hangup');
});
