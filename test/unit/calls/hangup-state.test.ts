import t from 'tap';
import pino from 'pino';
import { Call, CallState, CallStateError, HangupBy, canMove } from '../../../src/calls/call';
import { HangupCause, causeOfStatus, outcomeOf } from '../../../src/calls/hangup';
import { CallerKind } from '../../../src/signalling/direction';

t.test('causeOfStatus', async (t) => {
  const rows: [number, HangupCause][] = [
    [404, HangupCause.UnallocatedNumber], [484, HangupCause.UnallocatedNumber], [604, HangupCause.UnallocatedNumber],
    [486, HangupCause.UserBusy], [600, HangupCause.UserBusy], [480, HangupCause.NoUserResponse],
    [487, HangupCause.OriginatorCancel], [408, HangupCause.RecoveryOnTimerExpire], [504, HangupCause.RecoveryOnTimerExpire],
    [403, HangupCause.CallRejected], [603, HangupCause.CallRejected], [503, HangupCause.NormalTemporaryFailure],
    [500, HangupCause.ServiceUnavailable], [415, HangupCause.CallRejected],
  ];
  for (const [s, want] of rows) t.equal(causeOfStatus(s), want, String(s));
});

t.test('outcomeOf', async (t) => {
  const rows: [HangupCause, boolean, string][] = [
    [HangupCause.NormalClearing, true, 'answered'],
    [HangupCause.MediaTimeout, true, 'failed'],
    [HangupCause.OriginatorCancel, false, 'cancelled'],
    [HangupCause.NoAnswer, false, 'no_answer'],
    [HangupCause.NoUserResponse, false, 'no_answer'],
    [HangupCause.UserBusy, false, 'rejected'],
    [HangupCause.UnallocatedNumber, false, 'rejected'],
    [HangupCause.ServiceUnavailable, false, 'failed'],
    [HangupCause.SystemShutdown, false, 'failed'],
  ];
  for (const [c, answered, want] of rows) t.equal(outcomeOf(c, answered), want, `${c} answered=${answered}`);
});

t.test('state moves', async (t) => {
  const all = Object.values(CallState);
  const allowed = new Set(['routing>ringing', 'routing>caller_answered', 'routing>ending', 'caller_answered>ringing', 'caller_answered>ending', 'ringing>ringing', 'ringing>caller_answered', 'ringing>answered', 'ringing>ending', 'answered>ending', 'ending>ended']);
  for (const a of all) for (const b of all) t.equal(canMove(a, b), allowed.has(`${a}>${b}`), `${a} -> ${b}`);
});

const caller = {
  kind: CallerKind.Device as const,
  account: { id: 'acc', realm: 'r' },
  device: { id: 'dev', account_id: 'acc', sip: { username: 'u', password: 'p' } },
};

t.test('Call: no-answer timer owned by the transition, close idempotent and ordered', async (t) => {
  let fired = 0;
  const call = new Call('cid', caller, pino({ level: 'silent' }), { noAnswerMs: 20, onNoAnswer: () => { fired++; } });
  t.throws(() => call.moveTo(CallState.Answered), CallStateError);
  call.moveTo(CallState.Ringing);
  await new Promise((r) => setTimeout(r, 60));
  t.equal(fired, 1, 'timer fired once while ringing');
  const order: string[] = [];
  call.onClose(() => { order.push('closer'); });
  call.cancelRinging = () => order.push('cancel');
  call.on('ended', (_c, end) => order.push(`ended:${end.cause}`));
  const p1 = call.close({ cause: HangupCause.NoAnswer, by: HangupBy.System, status: 480 });
  const p2 = call.close({ cause: HangupCause.NormalClearing, by: HangupBy.Caller });
  t.equal(p1, p2, 'second close returns the first');
  await p1;
  t.same(order, ['cancel', 'closer', 'ended:NO_ANSWER']);
  t.equal(call.state, CallState.Ended);
  t.equal(call.end?.cause, HangupCause.NoAnswer);
  let late = 0;
  call.onClose(() => { late++; });
  await new Promise((r) => setImmediate(r));
  t.equal(late, 1, 'a closer added after close runs at once');
});

t.test('Call: leaving Ringing clears the timer', async (t) => {
  let fired = 0;
  const call = new Call('cid2', caller, pino({ level: 'silent' }), { noAnswerMs: 20, onNoAnswer: () => { fired++; } });
  call.moveTo(CallState.Ringing);
  call.moveTo(CallState.Answered);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(fired, 0);
  t.ok(call.answeredAt instanceof Date);
  await call.close({ cause: HangupCause.NormalClearing, by: HangupBy.Callee });
});
