/**
 * Exponential backoff with "full jitter": the delay before retry n (n >= 1) is uniform in
 * [0, min(max, base * 2^(n-1))]. Full jitter spreads the retries of many recordings that failed
 * together (receiver down) so they do not hammer it in lockstep when it comes back.
 * `rand` is injected so the function is pure and table-testable.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, rand: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^(n-1) overflows to Infinity for huge n, which min() then clamps.
  const ceiling = Math.min(maxMs, baseMs * 2 ** (n - 1));
  const r = Math.min(Math.max(rand(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * When the next attempt happens, or null when the horizon has been reached and the item must be
 * marked failed. The last attempt is pulled in to the horizon itself rather than skipped.
 */
export function nextAttemptAt(
  now: number,
  enqueuedAt: number,
  horizonMs: number,
  delayMs: number,
): number | null {
  const deadline = enqueuedAt + horizonMs;
  if (now >= deadline) return null;
  return Math.min(now + delayMs, deadline);
}
