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
