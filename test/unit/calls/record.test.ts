import t from 'tap';
import pino from 'pino';
import { Call, CallState, HangupBy } from '../../../src/calls/call';
import { HangupCause } from '../../../src/calls/hangup';
import { TargetKind } from '../../../src/calls/plan';
import { recordOf } from '../../../src/calls/record';
import { CalleeKind, CallerKind, classifyDirection, type Caller } from '../../../src/signalling/direction';

const log = pino({ level: 'silent' });
const timers = { noAnswerMs: 60_000, onNoAnswer: () => undefined };

t.test('answered onnet to offnet call', async (t) => {
  const caller: Caller = {
    kind: CallerKind.Device, account: { id: 'acc', realm: 'r' },
    device: { id: 'dev', account_id: 'acc', owner_id: 'usr', sip: { username: 'u', password: 'p' } }, owner: { id: 'usr', account_id: 'acc' },
  };
  const call = new Call('cid-1', caller, log, timers);
  const callee = { kind: CalleeKind.Resource as const, number: '15551234567' };
  call.decision = { accountId: 'acc', number: '15551234567', actions: [], answerFirst: [], stages: [], callee };
  call.direction = classifyDirection(caller, callee);
  call.answeredTarget = { kind: TargetKind.Resource, uri: 'sip:15551234567@gw' };
  (call as { startedAt: Date }).startedAt = new Date(1_700_000_000_000);
  call.moveTo(CallState.Ringing);
  call.moveTo(CallState.Answered);
  call.answeredAt = new Date(1_700_000_004_000);
  await call.close({ cause: HangupCause.NormalClearing, by: HangupBy.Callee });
  call.endedAt = new Date(1_700_000_034_400);
  t.same(recordOf(call, call.end ?? { cause: HangupCause.NormalClearing, by: HangupBy.Callee }, '<sip:u@r>;tag=1', '<sip:15551234567@r>'), {
    call_id: 'cid-1',
    direction: 'onnet_to_offnet',
    caller: { type: 'device', network: 'onnet', device_id: 'dev', owner_id: 'usr' },
    callee: { type: 'resource', network: 'offnet', number: '15551234567' },
    from: '<sip:u@r>;tag=1',
    to: '<sip:15551234567@r>',
    dialed_number: '15551234567',
    callflow_id: null,
    answered_target: 'sip:15551234567@gw',
    timestamp_start: 1_700_000_000,
    timestamp_answer: 1_700_000_004,
    timestamp_end: 1_700_000_034,
    duration_seconds: 34,
    billing_seconds: 30,
    hangup_cause: 'NORMAL_CLEARING',
    hangup_by: 'callee',
  });
});

t.test('trunk call refused before routing', async (t) => {
  const caller: Caller = {
    kind: CallerKind.Trunk, account: { id: 'acc', realm: 'r' },
    resource: { id: 'res', account_id: 'acc', rules: [], gateways: [] }, sourceAddress: '192.0.2.7',
  };
  const call = new Call('cid-2', caller, log, timers);
  await call.close({ cause: HangupCause.UnallocatedNumber, by: HangupBy.System, status: 404 });
  const r = recordOf(call, call.end ?? { cause: HangupCause.UnallocatedNumber, by: HangupBy.System }, 'f', 't');
  t.match(r, {
    direction: null, callee: null, caller: { type: 'resource', network: 'offnet', resource_id: 'res', source_address: '192.0.2.7' },
    timestamp_answer: null, billing_seconds: 0, hangup_cause: 'UNALLOCATED_NUMBER', hangup_by: 'system', sip_status: 404,
  });
});
