/**
 * A real redis-server for tests (Debian package redis-server): its own free port on
 * 127.0.0.1, no persistence, a temporary directory; `stop()` and `start()` make an outage on
 * the same port, `close()` ends it and removes the directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RedisState } from '../../src/state';
import { freePort } from './ports';

export interface TestRedis {
  url: string;
  port: number;
  /** Starts the server (again) on the same port. */
  start(): Promise<void>;
  /** Kills the server (the data is gone: no persistence). */
  stop(): Promise<void>;
  close(): Promise<void>;
  /** The running server's pid (0 when stopped), for CPU figures. */
  pid(): number;
}

export async function startRedis(readyTimeoutMs = 10_000): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  let proc: ChildProcess | undefined;

  const start = (): Promise<void> => new Promise((resolve, reject) => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let out = '';
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`redis-server not ready in ${readyTimeoutMs} ms: ${out}`)); }, readyTimeoutMs);
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${out}`)); });
  });

  const stop = (): Promise<void> => new Promise((resolve) => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) { resolve(); return; }
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.once('exit', () => { clearTimeout(timer); resolve(); });
    p.kill('SIGKILL');
  });

  await start();
  return {
    url: `redis://127.0.0.1:${port}`, port, start, stop, pid: () => proc?.pid ?? 0,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let prefixes = 0;

/** A connected RedisState with a key prefix of its own (tests share one server without seeing each other's keys). */
export async function redisState(r: TestRedis, commandTimeoutMs = 1000): Promise<RedisState> {
  const s = new RedisState({ url: r.url, keyPrefix: `t${process.pid}-${++prefixes}:`, commandTimeoutMs, logger: pino({ level: 'silent' }) });
  await s.connect();
  return s;
}
