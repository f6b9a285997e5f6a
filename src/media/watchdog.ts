import { readFileSync } from 'node:fs';

/**
 * The rtpengine watchdog's judgement, pure. A missed ping alone does not mean a hung rtpengine:
 * under load its NG thread answers late while the forwarding threads are busy moving every
 * call's media, and killing it then would drop all those calls. So a miss counts as a stall only
 * when the process did not make progress (its CPU time did not advance) since the last check;
 * a process that keeps working but never answers is killed after a much longer budget.
 */
export interface WatchdogCounts {
  /** Consecutive pings without an answer. */
  readonly misses: number;
  /** Of those, the ones during which the process did no work either. */
  readonly stalled: number;
}

export const WATCHDOG_FRESH: WatchdogCounts = { misses: 0, stalled: 0 };
/** Missed pings with no progress before the kill (a stopped or deadlocked process). */
export const STALLED_MISSES = 3;
/** Missed pings while still working before the kill (the NG thread itself is stuck). */
export const BUSY_MISSES = 15;

/**
 * Counts after one more missed ping and whether to kill. `progressed`: the process used CPU
 * since the previous check; null when that cannot be read (counts as no progress, the strict
 * old rule).
 */
export function afterMissedPing(c: WatchdogCounts, progressed: boolean | null): { counts: WatchdogCounts; kill: boolean } {
  const counts = { misses: c.misses + 1, stalled: c.stalled + (progressed === true ? 0 : 1) };
  return { counts, kill: counts.stalled >= STALLED_MISSES || counts.misses >= BUSY_MISSES };
}

/** Whether a CPU time delta over an interval is work (5% of a core, at least one clock tick). */
export function madeProgress(cpuBeforeSec: number | null, cpuNowSec: number | null, intervalMs: number): boolean | null {
  if (cpuBeforeSec === null || cpuNowSec === null) return null;
  // In clock ticks (1/100 s, the unit /proc counts in), so float rounding cannot move the edge.
  const ticks = Math.round((cpuNowSec - cpuBeforeSec) * 100);
  return ticks >= Math.max(1, intervalMs / 200);
}

/** User + system CPU seconds of a process (all its threads), from /proc; null if unreadable. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state; utime and stime
    // are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}
