import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { setPriority } from 'node:os';
import { findExecutable } from '../../platform/executables';

/**
 * How a lame process yields the CPU to the service: a niceness (0-19), or `idle`, Linux's
 * SCHED_IDLE policy (sched(7)).
 *
 * Why idle: niceness only weighs tasks against each other, and hundreds of lames weigh more than
 * one recorder thread however niced. At niceness 10 each lame has weight 110 against the
 * thread's 1024, so 250 lames with audio queued (all runnable after any stall) outweigh it 27
 * to 1, and the thread that must read the RTP gets a few percent of a core until they have
 * caught up: the stall feeds itself. A SCHED_IDLE task has weight 3 and is preempted as soon as
 * a normal task wakes, so encoding runs on what the service, rtpengine and the kernel leave,
 * and lags (its backlog is bounded: memory, then the spill file) instead of starving RTP.
 */
export type EncoderPriority = number | 'idle';

/** lame's niceness for `idle` where there is no chrt: the lowest. */
const NO_CHRT_NICE = 19;

let chrt: string | null | undefined;

/** `chrt` (util-linux, on every Debian), looked up once on PATH; null when there is none. */
export function chrtPath(): string | null {
  if (chrt === undefined) chrt = findExecutable('chrt') ?? null;
  return chrt;
}

/** Why `priority` cannot be had here (said once at start), or null when it can. */
export function priorityFallback(priority: EncoderPriority): string | null {
  return priority === 'idle' && chrtPath() === null ? `no chrt on PATH (util-linux): lame runs at niceness ${NO_CHRT_NICE} instead of SCHED_IDLE` : null;
}

/**
 * The program to start for `bin args` at `priority`, and the niceness to give it once started:
 * `idle` goes through `chrt --idle 0`, which sets the policy and executes lame in its place
 * (same pid, so signals and exit codes are lame's); without chrt, the lowest niceness instead.
 */
export function prioritized(bin: string, args: readonly string[], priority: EncoderPriority): { file: string; args: string[]; nice: number } {
  if (priority !== 'idle') return { file: bin, args: [...args], nice: priority };
  const via = chrtPath();
  return via === null ? { file: bin, args: [...args], nice: NO_CHRT_NICE } : { file: via, args: ['--idle', '0', bin, ...args], nice: 0 };
}

/**
 * `bin args` started at `priority` (both the spawner and a fork here start lame this way). A
 * niceness is applied right after the start: lowering it is always allowed for our own child;
 * if lame has already exited, or the platform refuses, it encodes at our priority.
 */
export function spawnAt(bin: string, args: readonly string[], priority: EncoderPriority, stdio: StdioOptions): ChildProcess {
  const run = prioritized(bin, args, priority);
  const child = spawn(run.file, run.args, { stdio });
  if (run.nice > 0 && child.pid !== undefined) {
    try {
      setPriority(child.pid, run.nice);
    } catch {
      // gone already (its exit is reported by the caller's handlers), or refused
    }
  }
  return child;
}
