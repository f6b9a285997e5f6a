import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './ports';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const USER = 'postgres';

/** A private PostgreSQL cluster for one test file: its own data dir, port and socket dir. */
export interface PgCluster {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> (trust authentication, loopback only). */
  url(database?: string): string;
  /** A new empty database (one per test keeps tests apart at the cost of ~50 ms); returns its URL. */
  createDatabase(): Promise<string>;
  /** pg_ctl start / stop -m fast on the same data dir and port (outage tests). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The postmaster's pid (its backends are its children), for CPU figures. */
  pid(): number;
}

/**
 * initdb into a temp dir and pg_ctl start on a free port, listening on 127.0.0.1 only with
 * its unix socket in the temp dir. PostgreSQL refuses to run as root, so both run as the
 * `postgres` user (created by the Debian package) via runuser, with the dir chowned to it.
 * Durability is off (fsync, synchronous_commit): tests never survive an OS crash anyway.
 * Stopped and removed in teardown.
 */
export async function startPostgres(t: { teardown(fn: () => unknown): void }): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  const data = join(dir, 'data');
  const root = userInfo().uid === 0;
  const asPostgres = (bin: string, args: string[], timeout = 60_000): Promise<unknown> =>
    root ? run('runuser', ['-u', USER, '--', join(BIN, bin), ...args], { timeout }) : run(join(BIN, bin), args, { timeout });
  if (root) {
    const { stdout } = await run('id', ['-u', USER]);
    const { stdout: gid } = await run('id', ['-g', USER]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  await asPostgres('initdb', ['-D', data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  let running = false;
  const cluster: PgCluster = {
    port,
    url: (database = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${database}`,
    async createDatabase() {
      const name = `t_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e9).toString(36)}`;
      const c = new Client({ connectionString: cluster.url(), connectionTimeoutMillis: 10_000 });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return cluster.url(name);
    },
    async start() {
      await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      running = false;
    },
    pid: () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
  };
  t.teardown(async () => {
    if (running) await cluster.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await cluster.start();
  return cluster;
}
