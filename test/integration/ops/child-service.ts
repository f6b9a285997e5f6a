/**
 * The service as a child process (`node dist/src/main.js`), configured only through B2BUA_*
 * environment variables on free loopback ports, with a SQLite store the test seeds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig, envOverrides, type FrozenConfig } from '../../../src/config';
import { freePorts } from '../../helpers/ports';

export const MAIN = resolve(__dirname, '..', '..', '..', 'src', 'main.js');

export interface ChildService {
  child: ChildProcess;
  env: Record<string, string>;
  config: FrozenConfig;
  dir: string;
  sipPort: number;
  apiUrl: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote (pino JSON lines), the last 200 kB. */
  output(): string;
}

/** The environment of one instance; `extra` overrides (e.g. B2BUA_SERVICE__SHUTDOWN__DRAIN_SEC). */
export async function childEnv(extra: Record<string, string> = {}): Promise<{ env: Record<string, string>; dir: string; sipPort: number; apiPort: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'b2bua-ops-'));
  const [sipPort, apiPort, drachtioPort, ngPort] = await freePorts(4);
  const min = 20000 + 2 * Math.floor((Math.random() * (20000 - 402)) / 2);
  const env: Record<string, string> = {
    B2BUA_LOG_LEVEL: 'info',
    B2BUA_ENGINE__EMBEDDED: 'true',
    B2BUA_ENGINE__SIP__LISTEN: JSON.stringify([{ host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'] }]),
    B2BUA_ENGINE__DRACHTIO__HOST: '127.0.0.1',
    B2BUA_ENGINE__DRACHTIO__PORT: String(drachtioPort),
    B2BUA_ENGINE__DRACHTIO__SECRET: 'ops-secret',
    B2BUA_API__HOST: '127.0.0.1',
    B2BUA_API__PORT: String(apiPort),
    B2BUA_STORE__PATH: join(dir, 'store.sqlite'),
    B2BUA_MEDIA__MODE: 'local',
    B2BUA_MEDIA__LOCAL__NG_PORT: String(ngPort),
    B2BUA_MEDIA__LOCAL__PORT_MIN: String(min),
    B2BUA_MEDIA__LOCAL__PORT_MAX: String(min + 399),
    B2BUA_MEDIA__LOCAL__LOG_LEVEL: '3',
    B2BUA_DELIVERY__SPOOL_DIR: join(dir, 'spool'),
    B2BUA_DELIVERY__ALLOW: JSON.stringify(['127.0.0.0/8']),
    B2BUA_DELIVERY__BACKOFF_BASE_MS: '200',
    B2BUA_DELIVERY__BACKOFF_MAX_MS: '1000',
    B2BUA_RECORDER__SPOOL_DIR: join(dir, 'recordings'),
    B2BUA_RECORDER__ENCODER_WORKERS: '1',
    ...extra,
  };
  return { env, dir, sipPort, apiPort };
}

/** The configuration the child will run with (same parse as loadConfig, without a file). */
export function configOf(env: Record<string, string>): FrozenConfig {
  return parseConfig(envOverrides(env));
}

export async function startChild(e: { env: Record<string, string>; dir: string; sipPort: number; apiPort: number }, timeoutMs = 30_000): Promise<ChildService> {
  const child = spawn(process.execPath, [MAIN], {
    // An empty cwd: no config/default.json, the environment is the whole configuration.
    cwd: e.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...e.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const take = (d: Buffer): void => { out = (out + d.toString()).slice(-200_000); };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('exit', (code, signal) => res({ code, signal }));
  });
  const started = new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`service did not start: ${out.slice(-3000)}`)), timeoutMs);
    const look = (): void => {
      if (out.includes('"msg":"service started"')) { clearTimeout(timer); res(); }
    };
    child.stdout?.on('data', look);
    void exited.then((x) => { clearTimeout(timer); rej(new Error(`service exited (${x.code}/${x.signal}) before starting: ${out.slice(-3000)}`)); });
  });
  try {
    await started;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child, env: e.env, config: configOf(e.env), dir: e.dir, sipPort: e.sipPort, apiUrl: `http://127.0.0.1:${e.apiPort}`,
    exited, output: () => out,
  };
}

/** Waits for the exit; SIGKILLs after timeoutMs and reports that as a failure. */
export async function waitExit(c: ChildService, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      c.child.kill('SIGKILL');
      rej(new Error(`service did not exit within ${timeoutMs} ms: ${c.output().slice(-3000)}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([c.exited, killed]);
  } finally {
    clearTimeout(timer);
  }
}
