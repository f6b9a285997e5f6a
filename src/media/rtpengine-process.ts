import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { FrozenConfig } from '../config';
import { NgClient } from './ng/ng-client';
import { RtpengineStartError } from './errors';
import { dieWithParent, findSetpriv, reapOrphan, removePidFile, writePidFile } from './orphans';
import { WATCHDOG_FRESH, afterMissedPing, madeProgress, processCpuSeconds, type WatchdogCounts } from './watchdog';

/** Mutable (tests) and frozen (loadConfig) sections are both accepted. */
type LocalConfig = FrozenConfig['media']['local'];

export enum ProcessState {
  Idle = 'idle',
  Starting = 'starting',
  Running = 'running',
  Backoff = 'backoff',
  Closing = 'closing',
  Closed = 'closed',
}

export interface RtpengineProcessEvents {
  /** rtpengine answered ping after a (re)start. */
  ready: [{ pid: number; restarts: number }];
  /** The process ended while we wanted it running; every call it anchored is gone. */
  exit: [{ pid: number; code: number | null; signal: NodeJS.Signals | null }];
  /** A restart is scheduled after `delayMs`. */
  restarting: [{ attempt: number; delayMs: number }];
  /** A (re)start attempt failed (it will be retried with backoff while not closed). */
  error: [Error];
  closed: [];
}

const PING_INTERVAL_MS = 100;
const PING_TIMEOUT_MS = 300;

/**
 * Supervises one local userspace rtpengine (`--table=-1`, no kernel module): starts it, waits
 * until it answers NG `ping`, restarts it with exponential backoff when it dies, and stops it
 * (SIGTERM, then SIGKILL after `killTimeoutMs`) on close(). All timers are owned by transition().
 * It never outlives the service and an earlier run's orphan is stopped at start (orphans.ts):
 * started through `setpriv --pdeathsig KILL`, its pid kept in `pidFile`.
 */
export class RtpengineProcess extends EventEmitter<RtpengineProcessEvents> {
  private state: ProcessState = ProcessState.Idle;
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private watchdog: NgClient | undefined;
  private watchdogCounts: WatchdogCounts = WATCHDOG_FRESH;
  private failures = 0;
  private restarts = 0;
  private closing: Promise<void> | undefined;
  private readonly setpriv = findSetpriv();

  constructor(private readonly cfg: LocalConfig, private readonly log: Logger) {
    super();
  }

  get currentState(): ProcessState {
    return this.state;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get ngTarget(): { host: string; port: number } {
    return { host: this.cfg.ngHost, port: this.cfg.ngPort };
  }

  /** The command line used to start rtpengine (exposed for logs and tests). */
  args(): string[] {
    const c = this.cfg;
    return [
      '--config-file=none', // never pick up /etc/rtpengine/rtpengine.conf of a system install
      '--table=-1', // userspace forwarding only: no kernel module here
      '--foreground',
      '--log-stderr',
      '--no-log-timestamps',
      `--log-level=${c.logLevel}`,
      `--interface=${c.interface}`,
      `--listen-ng=${c.ngHost}:${c.ngPort}`,
      `--port-min=${c.portMin}`,
      `--port-max=${c.portMax}`,
      '--delete-delay=0',
      ...c.extraArgs,
    ];
  }

  /** Starts rtpengine and resolves once it answers ping; rejects with RtpengineStartError. */
  async start(): Promise<void> {
    if (this.state !== ProcessState.Idle) throw new RtpengineStartError(`start() in state ${this.state}`);
    this.transition(ProcessState.Starting);
    if (this.setpriv === undefined) this.log.warn('setpriv (util-linux) not found: rtpengine would outlive a killed service until the next start');
    try {
      if (this.cfg.pidFile !== '') await reapOrphan(this.cfg.pidFile, this.cfg.binary, `${this.cfg.ngHost}:${this.cfg.ngPort}`, this.cfg.killTimeoutMs, this.log);
      await this.ensureNgPortFree();
      await this.launch();
    } catch (err) {
      // The first start is the caller's to handle: no silent retry loop behind its back.
      await this.stopChild();
      this.transition(ProcessState.Idle);
      throw err;
    }
  }

  private transition(next: ProcessState, delayMs = 0): void {
    const prev = this.state;
    if (prev === ProcessState.Closed) return;
    this.state = next;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    if (this.watchdogTimer) {
      clearInterval(this.watchdogTimer);
      this.watchdogTimer = undefined;
    }
    if (next === ProcessState.Running && this.cfg.watchdogMs > 0) this.startWatchdog();
    if (next === ProcessState.Backoff) {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.transition(ProcessState.Starting);
        this.restarts++;
        this.launch().catch((err: Error) => {
          if (this.state === ProcessState.Closing || this.state === ProcessState.Closed) return;
          this.log.error({ err }, 'rtpengine restart failed');
          // 'error' without a listener would throw out of a timer: only emit when someone listens
          if (this.listenerCount('error') > 0) this.emit('error', err);
          void this.stopChild().then(() => this.scheduleRestart());
        });
      }, delayMs);
    }
    this.log.debug({ from: prev, to: next }, 'rtpengine supervisor state');
  }

  /**
   * Pings the running rtpengine; it is killed (then restarted) after STALLED_MISSES timeouts in a
   * row during which it also did no work, or BUSY_MISSES while working (see watchdog.ts).
   */
  private startWatchdog(): void {
    this.watchdog ??= new NgClient({ host: this.cfg.ngHost, port: this.cfg.ngPort }, Math.max(PING_TIMEOUT_MS, Math.floor(this.cfg.watchdogMs / 2)));
    this.watchdogCounts = WATCHDOG_FRESH;
    const child = this.child;
    let cpu = processCpuSeconds(child?.pid);
    this.watchdogTimer = setInterval(() => {
      this.watchdog?.send('ping').then(
        () => {
          this.watchdogCounts = WATCHDOG_FRESH;
          cpu = processCpuSeconds(child?.pid);
        },
        () => {
          if (this.child !== child || this.state !== ProcessState.Running) return;
          const now = processCpuSeconds(child?.pid);
          const progressed = madeProgress(cpu, now, this.cfg.watchdogMs);
          cpu = now;
          const { counts, kill } = afterMissedPing(this.watchdogCounts, progressed);
          this.watchdogCounts = counts;
          if (kill) {
            this.log.error({ pid: child?.pid, ...counts }, 'rtpengine stopped answering ping: killing it');
            child?.kill('SIGKILL');
          } else {
            this.log.warn({ pid: child?.pid, progressed, ...counts }, 'rtpengine missed a ping');
          }
        },
      );
    }, this.cfg.watchdogMs);
    this.watchdogTimer.unref();
  }

  private scheduleRestart(): void {
    if (this.state === ProcessState.Closing || this.state === ProcessState.Closed) return;
    const delayMs = Math.min(this.cfg.restartBackoffMs * 2 ** this.failures, this.cfg.restartBackoffMaxMs);
    this.failures++;
    this.emit('restarting', { attempt: this.failures, delayMs });
    this.transition(ProcessState.Backoff, delayMs);
  }

  private launch(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const run = dieWithParent(this.setpriv, this.cfg.binary, this.args());
      const child = spawn(run.command, run.args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.child = child;
      if (child.pid !== undefined && this.cfg.pidFile !== '') {
        try {
          writePidFile(this.cfg.pidFile, child.pid);
        } catch (err) {
          this.log.warn({ err, file: this.cfg.pidFile }, 'cannot write the rtpengine pid file');
        }
      }
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      child.once('error', (err) => fail(new RtpengineStartError(`cannot run ${this.cfg.binary}: ${err.message}`)));
      if (child.stderr) {
        createInterface({ input: child.stderr }).on('line', (line) => {
          if (/^\S*\s*(ERR|CRIT|ALERT|EMERG)/.test(line)) this.log.error({ rtpengine: line }, 'rtpengine');
          else if (/WARNING/.test(line)) this.log.warn({ rtpengine: line }, 'rtpengine');
          else this.log.debug({ rtpengine: line }, 'rtpengine');
        });
      }
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        fail(new RtpengineStartError(`rtpengine exited during start (code ${code}, signal ${signal})`));
        this.onExit(child.pid ?? -1, code, signal);
      });
      this.waitForPong(child).then(
        () => {
          if (settled) return;
          settled = true;
          this.failures = 0;
          this.transition(ProcessState.Running);
          this.log.info({ pid: child.pid, ng: `${this.cfg.ngHost}:${this.cfg.ngPort}` }, 'rtpengine ready');
          this.emit('ready', { pid: child.pid ?? -1, restarts: this.restarts });
          resolve();
        },
        (err: Error) => fail(err),
      );
    });
  }

  /**
   * Another rtpengine already answering on our NG port (not ours: ours was reaped before) would
   * make our readiness check pass while our own process dies on bind: refuse to start instead.
   */
  private async ensureNgPortFree(): Promise<void> {
    const ng = new NgClient({ host: this.cfg.ngHost, port: this.cfg.ngPort }, PING_TIMEOUT_MS);
    try {
      await ng.send('ping');
    } catch {
      return; // nobody answers: free (or at least not an NG server)
    } finally {
      ng.close();
    }
    throw new RtpengineStartError(`something already answers NG on ${this.cfg.ngHost}:${this.cfg.ngPort}`);
  }

  private async waitForPong(child: ChildProcess): Promise<void> {
    const ng = new NgClient({ host: this.cfg.ngHost, port: this.cfg.ngPort }, PING_TIMEOUT_MS);
    const deadline = Date.now() + this.cfg.startTimeoutMs;
    try {
      while (Date.now() < deadline) {
        if (this.child !== child || child.exitCode !== null || child.signalCode !== null) {
          throw new RtpengineStartError('rtpengine exited before answering ping');
        }
        try {
          const reply = await ng.send('ping');
          if (reply.result === 'pong') return;
        } catch {
          // not listening yet: retry until the deadline
        }
        await new Promise((r) => setTimeout(r, PING_INTERVAL_MS));
      }
      throw new RtpengineStartError(`rtpengine did not answer ping within ${this.cfg.startTimeoutMs} ms`);
    } finally {
      ng.close();
    }
  }

  private onExit(pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === ProcessState.Closing || this.state === ProcessState.Closed) return;
    if (this.state === ProcessState.Running) {
      this.log.error({ pid, code, signal }, 'rtpengine died');
      this.emit('exit', { pid, code, signal });
      this.scheduleRestart();
    }
    // Starting: launch() rejects and its caller decides (first start: throw; restart: backoff)
  }

  private stopChild(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), this.cfg.killTimeoutMs);
      child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Stops rtpengine (SIGTERM, SIGKILL after the bound) and any pending restart. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.transition(ProcessState.Closing);
      this.watchdog?.close();
      const pid = this.child?.pid;
      this.closing = this.stopChild().then(() => {
        if (this.cfg.pidFile !== '') removePidFile(this.cfg.pidFile, pid);
        this.transition(ProcessState.Closed);
        this.emit('closed');
      });
    }
    return this.closing;
  }
}
