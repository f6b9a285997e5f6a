/**
 * Polls `cond` every 20 ms until it holds or `timeoutMs` passed; returns its last value. A bound
 * so that a test cannot hang, never an assertion on speed: a loaded machine only waits longer.
 */
export async function waitFor(cond: () => boolean, timeoutMs = 10000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** Resolves at `t` (performance.now() ms), at once when that is past: paces frames from a start time, so timers' lateness does not add up. */
export function sleepUntil(t: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
}
