/**
 * PauseLog: how pause / resume cut the call's clock into runs, the file offsets they become in
 * silence and omit mode, and the refusals (pause twice, resume without pause).
 */
import t from 'tap';
import { PauseLog, RecordingPauseError } from '../../../src/recorder';

const log = (...pairs: [number, number | null][]): PauseLog => {
  const p = new PauseLog();
  for (const [from, to] of pairs) {
    p.pause(from, 1000 + from);
    if (to !== null) p.resume(to, 1000 + to);
  }
  return p;
};

t.test('runs: a chunk cut at the pauses\' edges', async (t) => {
  const rows: { name: string; p: PauseLog; from: number; to: number; want: [number, number, boolean][] }[] = [
    { name: 'never paused', p: log(), from: 0, to: 160, want: [[0, 160, false]] },
    { name: 'pause inside the chunk, open', p: log([100, null]), from: 0, to: 160, want: [[0, 100, false], [100, 160, true]] },
    { name: 'chunk wholly paused', p: log([0, null]), from: 160, to: 320, want: [[160, 320, true]] },
    { name: 'pause and resume inside', p: log([40, 80]), from: 0, to: 160, want: [[0, 40, false], [40, 80, true], [80, 160, false]] },
    { name: 'two pauses', p: log([10, 20], [30, 40]), from: 0, to: 50, want: [[0, 10, false], [10, 20, true], [20, 30, false], [30, 40, true], [40, 50, false]] },
    { name: 'pause before the chunk, resumed inside', p: log([0, 200]), from: 160, to: 320, want: [[160, 200, true], [200, 320, false]] },
    { name: 'pause over before the chunk', p: log([0, 100]), from: 160, to: 320, want: [[160, 320, false]] },
    { name: 'zero-length pause', p: log([50, 50]), from: 0, to: 160, want: [[0, 50, false], [50, 160, false]] },
  ];
  for (const r of rows) t.same(r.p.runs(r.from, r.to).map((x) => [x.from, x.to, x.paused]), r.want, r.name);
});

t.test('intervals: file offsets in silence and omit mode', async (t) => {
  const p = log([8800, 16800], [24800, null]);
  // Recorded window [800, 32800): 4 s in, 3 s in; the second pause still open at the end.
  t.same(p.intervals(800, 32800, 'silence', 9999), [
    { offsetMs: 1000, durationMs: 1000, startedAt: 9800, endedAt: 17800, omitted: false },
    { offsetMs: 3000, durationMs: 1000, startedAt: 25800, endedAt: 9999, omitted: false },
  ], 'silence keeps the timeline');
  t.same(p.intervals(800, 32800, 'omit', 9999).map((i) => [i.offsetMs, i.durationMs, i.omitted]), [[1000, 1000, true], [2000, 1000, true]], 'omit moves later cuts back by the earlier pauses');
  t.same(log([4, 12]).intervals(0, 100, 'silence', 0).map((i) => [i.offsetMs, i.durationMs]), [[0.5, 1]], 'offsets to the 8 kHz sample (1/8 ms)');
  t.same(log([0, 400]).intervals(200, 1000, 'silence', 0).map((i) => [i.offsetMs, i.durationMs]), [[0, 25]], 'a pause from before the window is cut at its begin');
  t.same(log([2000, null]).intervals(0, 1000, 'silence', 0), [], 'a pause after the window is not listed');
});

t.test('refusals carry their code', async (t) => {
  const p = new PauseLog();
  t.throws(() => p.resume(10, 0), { name: 'RecordingPauseError', code: 'RECORDING_NOT_PAUSED' }, 'resume without pause');
  p.pause(10, 0);
  t.ok(p.paused);
  t.throws(() => p.pause(20, 0), { code: 'RECORDING_ALREADY_PAUSED' }, 'pause twice');
  p.resume(30, 0);
  t.notOk(p.paused);
  t.throws(() => p.resume(40, 0), { code: 'RECORDING_NOT_PAUSED' }, 'resume twice');
  t.ok(new RecordingPauseError('RECORDING_ALREADY_PAUSED') instanceof Error);
});
