/**
 * Recovery from an rtpengine an earlier run left behind (started before setpriv was used, or
 * escaped it): the pid file names it, its command line is ours, so start() stops it and takes
 * its place. A pid file naming anything else (another program, another instance's rtpengine)
 * never gets that process killed.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtpengineProcess } from '../../../src/media';
import { NgClient } from '../../../src/media/ng/ng-client';
import { log, testMediaConfig } from './setup';

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

async function pong(port: number, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  const ng = new NgClient({ host: '127.0.0.1', port }, 300);
  try {
    for (;;) {
      try {
        if ((await ng.send('ping')).result === 'pong') return true;
      } catch {
        if (Date.now() > end) return false;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    ng.close();
  }
}

/** A process the test owns and always ends. */
function own(t: Test, child: ChildProcess): number {
  t.teardown(() => { child.kill('SIGKILL'); });
  return child.pid ?? 0;
}

/** Starts `binary args` from a shell that exits at once: the process is an orphan (parent init). */
async function orphanOf(t: Test, binary: string, args: readonly string[]): Promise<number> {
  const quoted = [binary, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const sh = spawn('sh', ['-c', `${quoted} >/dev/null 2>&1 </dev/null & echo $!`], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  sh.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((r) => sh.once('exit', r));
  const pid = Number(out.trim());
  t.teardown(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
  return pid;
}

function stateDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'rtpe-orphan-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('an rtpengine left by an earlier run is stopped at start, and ours takes its NG port', async (t) => {
  const pidFile = join(stateDir(t), 'rtpengine.pid');
  const cfg = await testMediaConfig({ pidFile });
  // Exactly what an earlier service started, without setpriv, after that service died: a shell
  // starts it in the background and exits, so it is re-parented to init as a real orphan is.
  const orphan = await orphanOf(t, cfg.local.binary, new RtpengineProcess(cfg.local, log).args());
  t.ok(await pong(cfg.local.ngPort, 5000), 'the orphan answers NG');
  writeFileSync(pidFile, `${orphan}\n`);
  const proc = new RtpengineProcess(cfg.local, log);
  t.teardown(() => proc.close());
  await proc.start();
  t.notOk(alive(orphan), 'the orphan was stopped');
  t.not(proc.pid, orphan);
  t.equal(Number(readFileSync(pidFile, 'utf8')), proc.pid, 'the pid file names the new rtpengine');
  t.ok(await pong(cfg.local.ngPort, 1000), 'ours answers NG');
});

t.test('a pid file naming another program: that program is left alone', async (t) => {
  const pidFile = join(stateDir(t), 'rtpengine.pid');
  const cfg = await testMediaConfig({ pidFile });
  const other = own(t, spawn('sleep', ['30'], { stdio: 'ignore' }));
  writeFileSync(pidFile, `${other}\n`);
  const proc = new RtpengineProcess(cfg.local, log);
  t.teardown(() => proc.close());
  await proc.start();
  t.ok(alive(other), 'not ours by its command line: not killed');
  t.equal(Number(readFileSync(pidFile, 'utf8')), proc.pid, 'the pid file now names ours');
});

t.test("a pid file naming another instance's rtpengine (another NG port): left alone", async (t) => {
  const pidFile = join(stateDir(t), 'rtpengine.pid');
  const mine = await testMediaConfig({ pidFile });
  const theirs = await testMediaConfig();
  const other = new RtpengineProcess(theirs.local, log);
  t.teardown(() => other.close());
  await other.start();
  writeFileSync(pidFile, `${other.pid ?? 0}\n`);
  const proc = new RtpengineProcess(mine.local, log);
  t.teardown(() => proc.close());
  await proc.start();
  t.ok(alive(other.pid ?? 0), 'the other instance still runs');
  t.ok(await pong(theirs.local.ngPort, 1000), 'and answers on its own NG port');
});

t.test('a second start on the same state while the first runs: refused, the running rtpengine untouched', async (t) => {
  const pidFile = join(stateDir(t), 'rtpengine.pid');
  const cfg = await testMediaConfig({ pidFile });
  const first = new RtpengineProcess(cfg.local, log);
  t.teardown(() => first.close());
  await first.start();
  const second = new RtpengineProcess(cfg.local, log);
  t.teardown(() => second.close());
  await t.rejects(second.start(), /belongs to a running process/, 'the second start says another instance runs');
  t.ok(alive(first.pid ?? 0), "the first service's rtpengine still runs (found killed by a new user's second npm start)");
  t.ok(await pong(cfg.local.ngPort, 1000), 'and answers NG');
});
