/**
 * The recorder's overload guard (src/recorder/overload.ts) as report sequences, and the
 * ticker's lateness measure it is fed with (a run held back by a busy event loop).
 */
import t from 'tap';
import { OverloadGuard, type OverloadChange } from '../../../src/recorder/overload';
import { Ticker, reportLateness } from '../../../src/recorder/ticker';

/** [lateMs, at ms] reports and the change each makes; threshold 200 ms, lowered after 2 s calm (< 100 ms). */
const sequences: { name: string; reports: [number, number, OverloadChange][]; raised: boolean }[] = [
  { name: 'on time: never raised', reports: [[0, 0, null], [150, 500, null], [199, 1000, null]], raised: false },
  { name: 'one late run raises at once', reports: [[10, 0, null], [200, 500, 'raised'], [900, 1000, null]], raised: true },
  {
    name: 'lowered after clearSec of calm reports',
    reports: [[300, 0, 'raised'], [50, 500, null], [50, 1500, null], [99, 2499, null], [0, 2500, 'lowered'], [0, 3000, null]],
    raised: false,
  },
  {
    name: 'a report at half the threshold or more restarts the calm',
    reports: [[300, 0, 'raised'], [0, 500, null], [100, 2000, null], [0, 2500, null], [0, 4000, null], [0, 4500, 'lowered']],
    raised: false,
  },
  {
    name: 'late again while calming: still raised, calm restarts',
    reports: [[250, 0, 'raised'], [0, 500, null], [400, 2000, null], [0, 2400, null], [0, 4399, null], [0, 4400, 'lowered']],
    raised: false,
  },
  { name: 'raised again after lowering', reports: [[200, 0, 'raised'], [0, 100, null], [0, 2100, 'lowered'], [201, 2200, 'raised']], raised: true },
];

t.test('report sequences', async (t) => {
  for (const s of sequences) {
    const g = new OverloadGuard({ lagMs: 200, clearSec: 2 });
    const got = s.reports.map(([late, at]) => g.observe(late, at));
    t.same(got, s.reports.map((r) => r[2]), `${s.name}: changes`);
    t.equal(g.raised, s.raised, `${s.name}: final state`);
  }
});

t.test('lagMs 0: never raised', async (t) => {
  const g = new OverloadGuard({ lagMs: 0, clearSec: 1 });
  t.equal(g.observe(10_000, 0), null);
  t.equal(g.raised, false);
});

t.test('worst lateness of the last raise is kept for the lowering line', async (t) => {
  const g = new OverloadGuard({ lagMs: 100, clearSec: 1 });
  g.observe(150, 0);
  g.observe(700, 100);
  g.observe(0, 200);
  t.equal(g.observe(0, 1200), 'lowered');
  t.equal(g.worstLateMs, 700);
  g.observe(120, 1300);
  t.equal(g.worstLateMs, 120, 'a new raise starts over');
});

/** Holds this thread's event loop for `ms` (a stand-in for CPU contention). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

t.test('the ticker measures how late its runs start; reportLateness passes it on', async (t) => {
  const ticker = new Ticker(20);
  let runs = 0;
  const member = { tick: () => { runs++; } };
  ticker.add(member);
  await new Promise((r) => setTimeout(r, 100));
  t.ok(runs >= 2, 'running');
  ticker.takeLateMs();
  busy(300);
  await new Promise((r) => setTimeout(r, 60));
  const late = ticker.takeLateMs();
  t.ok(late >= 250, `a run held 300 ms by a busy loop was measured late: ${late.toFixed(0)} ms`);
  t.ok(ticker.takeLateMs() < 250, 'taking resets the measure');
  const reports: number[] = [];
  const stop = reportLateness(ticker, 50, (ms) => reports.push(ms));
  await new Promise((r) => setTimeout(r, 80));
  busy(300);
  await new Promise((r) => setTimeout(r, 120));
  stop();
  t.ok(reports.some((ms) => ms >= 250), `a report carried the stall: ${reports.map((ms) => ms.toFixed(0)).join(', ')}`);
  ticker.delete(member);
});
