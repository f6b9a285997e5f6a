import t from 'tap';
import { BUSY_MISSES, STALLED_MISSES, WATCHDOG_FRESH, afterMissedPing, madeProgress, processCpuSeconds, type WatchdogCounts } from '../../../src/media/watchdog';

t.test('a stalled rtpengine is killed after three misses, a busy one only after fifteen', (t) => {
  const run = (progress: ReadonlyArray<boolean | null>): number | null => {
    let c: WatchdogCounts = WATCHDOG_FRESH;
    for (let i = 0; i < progress.length; i++) {
      const r = afterMissedPing(c, progress[i]);
      c = r.counts;
      if (r.kill) return i + 1;
    }
    return null;
  };
  const cases: Array<{ name: string; progress: Array<boolean | null>; killedAt: number | null }> = [
    { name: 'no progress', progress: [false, false, false, false], killedAt: STALLED_MISSES },
    { name: 'CPU unreadable counts as no progress', progress: [null, null, null], killedAt: 3 },
    { name: 'busy throughout', progress: Array<boolean>(20).fill(true), killedAt: BUSY_MISSES },
    { name: 'busy, then stops working', progress: [true, true, true, false, false, false], killedAt: 6 },
    { name: 'stalls need not be consecutive within the run of misses', progress: [false, true, false, true, false], killedAt: 5 },
    { name: 'fewer misses than either budget', progress: [true, false, true, false], killedAt: null },
  ];
  for (const c of cases) t.equal(run(c.progress), c.killedAt, c.name);
  t.end();
});

t.test('progress is at least 5% of a core over the interval, and one clock tick', (t) => {
  const cases: Array<[number | null, number | null, number, boolean | null]> = [
    [10, 10, 2000, false],
    [10, 10.05, 2000, false], // 2.5% of a core over 2 s
    [10, 10.1, 2000, true], // 5%
    [10, 11.5, 2000, true],
    [10, 10.01, 100, true], // one tick over 100 ms
    [10, 10, 100, false], // no tick over 100 ms
    [null, 10, 2000, null],
    [10, null, 2000, null],
  ];
  for (const [a, b, ms, want] of cases) t.equal(madeProgress(a, b, ms), want, `${a} -> ${b} over ${ms} ms`);
  t.end();
});

t.test('CPU seconds of a live process are read from /proc, of a missing one are null', (t) => {
  const own = processCpuSeconds(process.pid);
  t.ok(own !== null && own >= 0, `this process: ${own}`);
  t.equal(processCpuSeconds(undefined), null);
  t.equal(processCpuSeconds(2 ** 22 + 12345), null, 'a pid above pid_max');
  t.end();
});
