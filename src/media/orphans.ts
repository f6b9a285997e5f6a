import { RtpengineStartError } from './errors';
import { findExecutable } from '../platform/executables';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname } from 'node:path';
import type { Logger } from 'pino';

/**
 * Keeping the local rtpengine from outliving the service, and cleaning up after one that did.
 *
 * Two layers, because either alone leaves a gap:
 * - prevention: rtpengine is started through util-linux `setpriv --pdeathsig KILL`, which sets
 *   Linux PR_SET_PDEATHSIG (prctl(2)) and execs rtpengine in the same process, so the kernel
 *   kills it when the service dies, SIGKILL and OOM kill included. Node cannot call prctl
 *   itself. Missing setpriv (not Debian) only costs this layer.
 * - recovery: the service writes rtpengine's pid to a pid file in its state directory; at the
 *   next start, a process named there that is still alive and whose /proc/<pid>/cmdline is an
 *   rtpengine with our exact `--listen-ng` is an orphan of an earlier run (one started before
 *   this fix, or one that escaped between fork and prctl): SIGTERM, then SIGKILL. A pid that
 *   now belongs to anything else is left alone: both the pid file and the command line must
 *   say it is ours.
 */

/** Where setpriv is, from PATH then the Debian location; undefined when absent. */
export function findSetpriv(path = process.env.PATH ?? ''): string | undefined {
  return findExecutable('setpriv', [...path.split(delimiter), '/usr/bin', '/bin']);
}

/** The command that runs `binary args` so that it dies with us (setpriv exec's it: same pid). */
export function dieWithParent(setpriv: string | undefined, binary: string, args: string[]): { command: string; args: string[] } {
  if (setpriv === undefined) return { command: binary, args };
  return { command: setpriv, args: ['--pdeathsig', 'KILL', '--', binary, ...args] };
}

/** argv of a live (not zombie) process, or undefined. */
function liveCmdline(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/**
 * The pid of the live Node.js process that started `pid` (its parent), if there is one. An
 * rtpengine whose service died is re-parented to init (or a subreaper), never to a node process.
 */
function liveOwner(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
    if (!Number.isInteger(ppid) || ppid <= 1) return undefined;
    const argv = liveCmdline(ppid);
    return argv !== undefined && /^node/.test(basename(argv[0] ?? '')) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether argv is an rtpengine of ours: one argument is the binary (by name; also true while
 * setpriv has not exec'd it yet) and one is exactly our NG listen address.
 */
export function isOurRtpengine(argv: readonly string[], binary: string, ngListen: string): boolean {
  const name = basename(binary);
  return argv.some((a) => basename(a) === name) && argv.includes(`--listen-ng=${ngListen}`);
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Owner-only, like every state file (the directory is created 0700). */
export function writePidFile(file: string, pid: number): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${pid}\n`, { mode: 0o600 });
}

/** Removes the pid file when it still names `pid` (a later start may have rewritten it). */
export function removePidFile(file: string, pid: number | undefined): void {
  if (pid !== undefined && readPidFile(file) !== pid) return;
  rmSync(file, { force: true });
}

/** Sends a signal; a process that ended meanwhile is fine. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (liveCmdline(pid) === undefined) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return liveCmdline(pid) === undefined;
}

/**
 * Kills the rtpengine an earlier run left behind, if the pid file names one of ours (SIGTERM,
 * then SIGKILL after `killTimeoutMs`), and removes the pid file. Returns the pid killed.
 */
export async function reapOrphan(file: string, binary: string, ngListen: string, killTimeoutMs: number, log: Logger): Promise<number | undefined> {
  const pid = readPidFile(file);
  if (pid === undefined) return undefined;
  const argv = liveCmdline(pid);
  if (argv === undefined) {
    removePidFile(file, pid);
    return undefined;
  }
  if (!isOurRtpengine(argv, binary, ngListen)) {
    log.warn({ pid, file, cmdline: argv.slice(0, 3).join(' ') }, 'rtpengine pid file names another process: left alone');
    removePidFile(file, pid);
    return undefined;
  }
  const owner = liveOwner(pid);
  if (owner !== undefined) {
    // Not an orphan: a running service (another instance on the same state directory) owns it.
    // Killing it would drop that instance's calls; refuse this start instead.
    throw new RtpengineStartError(`rtpengine ${pid} named in ${file} belongs to a running process (pid ${owner}): is another instance of the service running on this state?`);
  }
  log.warn({ pid, ng: ngListen }, 'rtpengine left running by an earlier run: stopping it');
  signal(pid, 'SIGTERM');
  if (!(await gone(pid, killTimeoutMs))) {
    signal(pid, 'SIGKILL');
    await gone(pid, 2000);
  }
  removePidFile(file, pid);
  return pid;
}
