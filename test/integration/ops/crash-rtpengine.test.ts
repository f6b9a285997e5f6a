/**
 * A crash needs nobody: the real service (`node dist/src/main.js`) is SIGKILLed; its rtpengine
 * must not outlive it (setpriv --pdeathsig), and the next start on the same state directory,
 * with nothing cleaned by hand, must become ready (API answers, its rtpengine answers ping).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { NgClient } from '../../../src/media/ng/ng-client';
import { childEnv, startChild, waitExit } from './fixtures/child-service';

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'); // a zombie is dead
  } catch {
    return false;
  }
}

/** The rtpengine child of a process (0 when none). */
function rtpengineOf(parent: number): number {
  return Number(spawnSync('pgrep', ['-P', String(parent), '-x', 'rtpengine'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] || 0);
}

function readPid(file: string): number | undefined {
  return existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
}

async function ping(port: number): Promise<string> {
  const ng = new NgClient({ host: '127.0.0.1', port }, 500);
  try {
    return String((await ng.send('ping')).result);
  } catch (err) {
    return `no answer: ${(err as Error).message}`;
  } finally {
    ng.close();
  }
}

t.test('SIGKILL of the service leaves no rtpengine, and the next start is ready', async (t) => {
  const e = await childEnv();
  t.teardown(() => rmSync(e.dir, { recursive: true, force: true }));
  const ngPort = Number(e.env.B2BUA_MEDIA__LOCAL__NG_PORT);
  const first = await startChild(e);
  t.teardown(() => { first.child.kill('SIGKILL'); });
  const pidFile = join(e.dir, 'rtpengine.pid');
  const pid = rtpengineOf(first.child.pid ?? 0);
  t.ok(pid > 0 && alive(pid), `the service runs an rtpengine (pid ${pid})`);
  t.equal(readPid(pidFile), pid, 'named in the pid file of the state directory');

  first.child.kill('SIGKILL');
  t.equal((await waitExit(first, 5000)).signal, 'SIGKILL');
  const end = Date.now() + 3000;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.notOk(alive(pid), 'rtpengine died with the service');
  t.not(await ping(ngPort), 'pong', 'nothing answers NG any more');

  const second = await startChild(e);
  t.teardown(() => { second.child.kill('SIGKILL'); });
  t.equal((await fetch(`${second.apiUrl}/metrics`)).status, 200, 'the restarted service answers its API');
  t.equal(await ping(ngPort), 'pong', 'its rtpengine answers ping');
  const secondPid = rtpengineOf(second.child.pid ?? 0);
  t.not(secondPid, pid, 'a new rtpengine');
  second.child.kill('SIGTERM');
  t.equal((await waitExit(second, 20_000)).code, 0, 'and stops cleanly');
  t.notOk(alive(secondPid), 'taking its rtpengine with it');
  t.notOk(existsSync(pidFile), 'the pid file is removed on a clean stop');
});
