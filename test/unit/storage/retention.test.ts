import t from 'tap';
import { effectiveRetention, expired, type Retention } from '../../../src/storage/retention';

t.test('each field is inherited from the nearest document that sets it', (t) => {
  // [chain root first .. account last, expected]
  const table: Array<[Array<Retention | undefined>, Retention]> = [
    [[], {}],
    [[undefined, undefined], {}],
    [[{ cdr_days: 90 }], { cdr_days: 90 }],
    [[{ cdr_days: 90, recordings_days: 30 }, undefined, { files_days: 7 }], { cdr_days: 90, recordings_days: 30, files_days: 7 }],
    [[{ recordings_days: 30 }, { recordings_days: 60 }], { recordings_days: 60 }],
    [[{ recordings_days: 30 }, { recordings_days: 60 }, {}], { recordings_days: 60 }],
    [[{ recordings_days: 365 }, {}, { recordings_days: 1 }], { recordings_days: 1 }],
  ];
  for (const [chain, want] of table) t.same(effectiveRetention(chain), want, JSON.stringify(chain));
  t.end();
});

t.test('expired: ended + days <= now', (t) => {
  const day = 86_400_000;
  const table: Array<[number, number | undefined, number, boolean]> = [
    [0, 1, day - 1, false],
    [0, 1, day, true],
    [0, undefined, 100 * day, false],
    [NaN, 1, 100 * day, false],
    [5 * day, 30, 35 * day, true],
    [5 * day, 30, 35 * day - 1, false],
  ];
  for (const [end, days, now, want] of table) t.equal(expired(end, days, now), want, `${end} ${days} ${now}`);
  t.end();
});
