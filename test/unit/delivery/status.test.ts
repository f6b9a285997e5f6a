import t from 'tap';
import { DeliveryEvent as E, DeliveryStatus as S, nextStatus } from '../../../src/delivery/status';
import { InvalidTransitionError } from '../../../src/delivery/errors';

t.test('every status x event pair', (t) => {
  const allowed = new Map<string, S>([
    [`${S.Pending}:${E.Send}`, S.Uploading],
    [`${S.Pending}:${E.Fail}`, S.Failed],
    [`${S.Pending}:${E.Discard}`, S.Discarded],
    [`${S.Uploading}:${E.Succeed}`, S.Uploaded],
    [`${S.Uploading}:${E.Retry}`, S.Pending],
    [`${S.Uploading}:${E.Fail}`, S.Failed],
    [`${S.Uploading}:${E.Recover}`, S.Pending],
    [`${S.Failed}:${E.Requeue}`, S.Pending],
  ]);
  for (const from of Object.values(S)) {
    for (const ev of Object.values(E)) {
      const want = allowed.get(`${from}:${ev}`);
      if (want) t.equal(nextStatus(from, ev), want, `${from} --${ev}-->`);
      else {
        t.throws(() => nextStatus(from, ev), InvalidTransitionError, `${from} --${ev}--> refused`);
      }
    }
  }
  try {
    nextStatus(S.Uploaded, E.Send);
  } catch (err) {
    t.equal((err as InvalidTransitionError).code, 'invalid_transition');
  }
  t.end();
});
