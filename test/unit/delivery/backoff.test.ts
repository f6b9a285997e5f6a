import t from 'tap';
import { backoffDelay, nextAttemptAt } from '../../../src/delivery/backoff';

t.test('full-jitter exponential backoff', (t) => {
  // [attempt, base, max, rand, expected]
  const table: Array<[number, number, number, number, number]> = [
    [1, 100, 10_000, 1, 100],
    [2, 100, 10_000, 1, 200],
    [3, 100, 10_000, 1, 400],
    [8, 100, 10_000, 1, 10_000], // 12800 capped at max
    [3, 100, 10_000, 0, 0],
    [3, 100, 10_000, 0.5, 200],
    [0, 100, 10_000, 1, 100], // attempt below 1 treated as 1
    [5000, 100, 10_000, 1, 10_000], // 2^4999 is Infinity, still capped
    [2, 100, 10_000, 7, 200], // rand clamped to [0,1]
  ];
  for (const [n, base, max, r, want] of table) t.equal(backoffDelay(n, base, max, () => r), want, `attempt ${n} rand ${r}`);
  t.end();
});

t.test('next attempt respects the horizon', (t) => {
  const table: Array<[number, number, number, number, number | null]> = [
    [1000, 0, 5000, 100, 1100],
    [4950, 0, 5000, 100, 5000], // pulled in to the deadline for one last try
    [5000, 0, 5000, 100, null], // deadline reached: failed
    [9000, 0, 5000, 0, null],
  ];
  for (const [now, from, horizon, delay, want] of table) t.equal(nextAttemptAt(now, from, horizon, delay), want, `now ${now}`);
  t.end();
});
