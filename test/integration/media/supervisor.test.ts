import t, { type Test } from 'tap';
import pino from 'pino';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CallMedia, MediaServer, ProcessState, RtpengineProcess, RtpengineStartError, startMedia,
} from '../../../src/media';
import type { MediaError } from '../../../src/media';
import { RtpEndpoint } from '../../helpers/rtp';
import { log, phoneSdp, testMediaConfig } from './setup';

/** Bounds every wait on an event. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

t.test('supervisor restarts rtpengine after kill -9 and calls on it fail', async (t) => {
  const cfg = await testMediaConfig();
  const media = await startMedia(cfg, log);
  t.teardown(() => media.close());
  const proc = media.process;
  if (!proc) throw new Error('local mode must have a process');
  t.equal(proc.currentState, ProcessState.Running);
  const firstPid = proc.pid;
  t.ok(firstPid, 'running with a pid');

  const a = await RtpEndpoint.open();
  t.teardown(() => a.close());
  const cm = new CallMedia(media.server, 'sup-call', 'caller', log);
  await cm.offerFromCaller(phoneSdp(a.port, 'PCMU'));
  const failed = once(cm, 'failed') as Promise<[MediaError]>;

  const exited = once(proc, 'exit');
  const ready = once(proc, 'ready') as Promise<[{ pid: number; restarts: number }]>;
  process.kill(firstPid ?? 0, 'SIGKILL');
  const [exit] = (await within(exited, 5000, 'exit')) as [{ signal: string }];
  t.equal(exit.signal, 'SIGKILL', 'exit event carries the signal');
  const [err] = await within(failed, 5000, 'call failed');
  t.equal(err.code, 'RTPENGINE_LOST', 'the anchored call is told rtpengine is gone');
  const [info] = await within(ready, 10000, 'ready after restart');
  t.not(info.pid, firstPid, 'a new process');
  t.equal(info.restarts, 1);
  await media.server.ping();
  t.pass('the new rtpengine answers ping');
  await cm.close();

  await media.close();
  await media.close();
  t.equal(proc.currentState, ProcessState.Closed, 'closed, idempotently');
  t.equal(proc.pid, undefined, 'no child left');
});

t.test('start refuses when another rtpengine already answers on the NG port', async (t) => {
  const cfg = await testMediaConfig();
  const first = new RtpengineProcess(cfg.local, log);
  await first.start();
  t.teardown(() => first.close());
  const second = new RtpengineProcess({ ...cfg.local, portMin: cfg.local.portMin + 100 }, log);
  await t.rejects(second.start(), { code: 'RTPENGINE_START_FAILED' });
  t.equal(second.pid, undefined, 'nothing spawned');
  await second.close();
});

t.test('start fails cleanly when the binary does not exist', async (t) => {
  const cfg = await testMediaConfig({ binary: '/nonexistent/rtpengine' });
  const proc = new RtpengineProcess(cfg.local, log);
  await t.rejects(proc.start(), RtpengineStartError);
  t.equal(proc.currentState, ProcessState.Idle);
  await proc.close();
  t.equal(proc.currentState, ProcessState.Closed);
});

/** A shell wrapper running fake-rtpengine.js, usable as `local.binary`. */
function fakeBinary(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-rtpe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'rtpengine');
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${join(__dirname, 'fake-rtpengine.js')}" "$@"\n`, { mode: 0o755 });
  return bin;
}

t.test('watchdog kills a hung rtpengine and the supervisor restarts it', async (t) => {
  const cfg = await testMediaConfig({ binary: fakeBinary(t), watchdogMs: 100, killTimeoutMs: 200 });
  const proc = new RtpengineProcess(cfg.local, log);
  t.teardown(() => proc.close());
  await proc.start();
  const pid = proc.pid ?? 0;
  const exited = once(proc, 'exit') as Promise<[{ signal: string | null }]>;
  const ready = once(proc, 'ready') as Promise<[{ pid: number; restarts: number }]>;
  process.kill(pid, 'SIGUSR2');
  const [exit] = await within(exited, 5000, 'watchdog kill');
  t.equal(exit.signal, 'SIGKILL', 'killed by the watchdog');
  const [info] = await within(ready, 5000, 'restart');
  t.not(info.pid, pid, 'a fresh process answers');
});

t.test('close() escalates to SIGKILL when SIGTERM is ignored', async (t) => {
  const bin = fakeBinary(t);
  const cfg = await testMediaConfig({ binary: bin, killTimeoutMs: 300 });
  const lines: string[] = [];
  const captured = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  const proc = new RtpengineProcess(cfg.local, captured);
  await proc.start();
  const pid = proc.pid ?? 0;
  t.ok(pid > 0, 'fake rtpengine answered ping');
  let exitSignal: string | null = null;
  const exited = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  proc.once('exit', (e) => (exitSignal = e.signal));
  await within(proc.close(), 5000, 'close');
  await within(exited, 5000, 'process gone');
  t.equal(proc.currentState, ProcessState.Closed);
  t.ok(lines.some((l) => l.includes('ignoring SIGTERM')), 'SIGTERM was sent and ignored, so SIGKILL ended it');
  t.equal(exitSignal, null, 'no unexpected-exit event during close');
  const server = new MediaServer([proc.ngTarget], 200, log);
  t.teardown(() => server.close());
  await t.rejects(server.ping(), { code: 'RTPENGINE_TIMEOUT' }, 'NG port no longer answers');
});
