/**
 * The recorder's overload guard (src/recorder/overload.ts) as report sequences over its two
 * signs, and the ticker's lateness measure it is fed with (a run held back by a busy loop).
 */
import t from 'tap';
import { OverloadGuard, type OverloadChange } from '../../../src/recorder/overload';
import { waitFor } from '../../helpers/wait';
import { Ticker, reportLateness } from '../../../src/recorder/ticker';

/**
 * [lateMs, backlogMs, at ms] reports and the change each makes. Thresholds: lateness 200 ms,
 * backlog 2000 ms; lowered after 2 s of reports under half of both (100 ms, 1000 ms).
 */
const sequences: { name: string; reports: [number, number, number, OverloadChange][]; raised: boolean }[] = [
  { name: 'keeping up: never raised', reports: [[0, 0, 0, null], [150, 1500, 500, null], [199, 1999, 1000, null]], raised: false },
  { name: 'one late run raises at once', reports: [[10, 0, 0, null], [200, 0, 500, 'raised'], [900, 0, 1000, null]], raised: true },
  { name: 'one encoder backlog raises at once', reports: [[10, 500, 0, null], [10, 2000, 500, 'raised']], raised: true },
  {
    name: 'lowered after clearSec of calm reports',
    reports: [[300, 0, 0, 'raised'], [50, 0, 500, null], [50, 900, 1500, null], [99, 999, 2499, null], [0, 0, 2500, 'lowered'], [0, 0, 3000, null]],
    raised: false,
  },
  {
    name: 'a report at half a threshold or more restarts the calm',
    reports: [[300, 0, 0, 'raised'], [0, 0, 500, null], [100, 0, 2000, null], [0, 0, 2500, null], [0, 1000, 4000, null], [0, 0, 4400, null], [0, 0, 6400, 'lowered']],
    raised: false,
  },
  {
    name: 'late again while calming: still raised, calm restarts',
    reports: [[250, 0, 0, 'raised'], [0, 0, 500, null], [400, 0, 2000, null], [0, 0, 2400, null], [0, 0, 4399, null], [0, 0, 4400, 'lowered']],
    raised: false,
  },
  { name: 'raised again after lowering', reports: [[200, 0, 0, 'raised'], [0, 0, 100, null], [0, 0, 2100, 'lowered'], [0, 2500, 2200, 'raised']], raised: true },
];

t.test('report sequences', async (t) => {
  for (const s of sequences) {
    const g = new OverloadGuard({ lagMs: 200, backlogMs: 2000, clearSec: 2 });
    const got = s.reports.map(([lateMs, backlogMs, at]) => g.observe({ lateMs, backlogMs }, at));
    t.same(got, s.reports.map((r) => r[3]), `${s.name}: changes`);
    t.equal(g.raised, s.raised, `${s.name}: final state`);
  }
});

t.test('a sign with threshold 0 is not watched; both 0: never raised', async (t) => {
  const lateOnly = new OverloadGuard({ lagMs: 100, backlogMs: 0, clearSec: 1 });
  t.equal(lateOnly.observe({ lateMs: 0, backlogMs: 60_000 }, 0), null, 'backlog not watched');
  t.equal(lateOnly.observe({ lateMs: 100, backlogMs: 0 }, 1), 'raised');
  const off = new OverloadGuard({ lagMs: 0, backlogMs: 0, clearSec: 1 });
  t.equal(off.observe({ lateMs: 10_000, backlogMs: 10_000 }, 0), null);
  t.equal(off.raised, false);
});

t.test('the worst report of the last raise is kept for the lowering line', async (t) => {
  const g = new OverloadGuard({ lagMs: 100, backlogMs: 1000, clearSec: 1 });
  g.observe({ lateMs: 150, backlogMs: 0 }, 0);
  g.observe({ lateMs: 700, backlogMs: 300 }, 100);
  g.observe({ lateMs: 0, backlogMs: 0 }, 200);
  t.equal(g.observe({ lateMs: 0, backlogMs: 0 }, 1200), 'lowered');
  t.same(g.worstReport, { lateMs: 700, backlogMs: 300 });
  g.observe({ lateMs: 120, backlogMs: 0 }, 1300);
  t.same(g.worstReport, { lateMs: 120, backlogMs: 0 }, 'a new raise starts over');
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
  t.ok(await waitFor(() => runs >= 2), 'running');
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
