import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import pino, { type Logger } from 'pino';

/**
 * The service's side of the lame spawner (spawner-main.ts): starts the helper process once,
 * while the service is still small, and again if it dies; its Unix socket lives in an
 * owner-only directory (mkdtemp: 0700), so only this user can ask it to start a process.
 * Encoders in any thread reach it by `path` (SpawnerClient). close() ends it.
 */
export class LameSpawner {
  readonly path: string;
  private readonly dir: string;
  private child: ChildProcess | null = null;
  private closed = false;
  private readonly log: Logger;
  /** Helpers started (1 + restarts). */
  starts = 0;
  /** Resolves when the first helper listens (or has failed to: encoders then fail on their own). */
  ready!: Promise<void>;

  /** `bin`: the only program the helper will start (recorder.lamePath). */
  constructor(private readonly bin: string, logger?: Logger) {
    this.log = (logger ?? pino({ level: 'silent' })).child({ part: 'recorder', unit: 'lame-spawner' });
    this.dir = mkdtempSync(join(tmpdir(), 'b2bua-lame-'));
    this.path = join(this.dir, 'spawner.sock');
    this.start();
  }

  /** The helper's pid (tests, bench). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): void {
    rmSync(this.path, { force: true });
    // A small heap: the helper only parses short lines and forks lame.
    const child = spawn(process.execPath, ['--max-old-space-size=16', join(__dirname, 'spawner-main.js'), this.path, this.bin], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.starts++;
    const out = child.stdout as Socket;
    this.ready = new Promise<void>((resolve) => {
      out.once('data', () => {
        out.unref(); // referenced until then: awaiting ready() keeps the process alive
        resolve();
      });
      out.once('close', () => resolve());
      child.once('error', (err) => {
        this.log.error({ err }, 'lame spawner could not start');
        resolve();
      });
    });
    child.once('exit', (code, signal) => {
      if (this.closed) return;
      this.log.error({ code, signal }, 'lame spawner exited; restarting it (encoders it was starting fail)');
      this.start();
    });
    // Its stdin staying open is its tie to us: it exits when we are gone. Neither keeps us alive.
    child.unref();
    (child.stdin as Socket | null)?.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child?.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
