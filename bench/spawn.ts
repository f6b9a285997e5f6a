/**
 * `npm run bench:spawn`: what starting one lame costs the service's event loop, forked from the
 * service itself (what the recorder did) vs asked of the lame spawner (a small helper process,
 * src/recorder/spawner). This process is first grown to SPAWN_RSS_MB (default 300) of resident
 * memory, as a loaded service is; then SPAWN_COUNT (default 40) lame encoders are started, one
 * every 50 ms, each for 0.1 s of audio. Printed per way: the time spent inside the start call
 * (p50 / max), the event loop's delay while starting (p99 / max, 1 ms resolution), and the
 * same delay with nothing started (the floor on this machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { lameArgs } from '../src/recorder/encoder/mp3-lame-cli';
import { startLame, type LameStart } from '../src/recorder/spawner/lame-process';
import { LameSpawner } from '../src/recorder/spawner/helper';

const RSS_MB = Number(process.env.SPAWN_RSS_MB ?? 300);
const COUNT = Number(process.env.SPAWN_COUNT ?? 40);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident memory as a service holds it: JS objects on the heap and touched buffers. */
function grow(): unknown[] {
  const keep: unknown[] = [];
  while (process.memoryUsage().rss < RSS_MB * 1024 * 1024) {
    keep.push(Buffer.alloc(8 * 1024 * 1024, 1));
    keep.push(Array.from({ length: 50_000 }, (_, i) => ({ i, s: `call-${i}` })));
  }
  return keep;
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run(label: string, start: ((i: number) => LameStart) | null, dir: string): Promise<void> {
  const lag = monitorEventLoopDelay({ resolution: 1 });
  const calls: number[] = [];
  const pcm = Buffer.alloc(1600 * 2 * 2);
  lag.enable();
  const done: Promise<number>[] = [];
  for (let i = 0; i < COUNT; i++) {
    if (start !== null) {
      const t0 = performance.now();
      const lame = startLame(start(i));
      calls.push(performance.now() - t0);
      done.push(lame.ready.then(() => {
        lame.input.end(pcm);
        return lame.exited;
      }));
    }
    await sleep(50);
  }
  const codes = await Promise.all(done);
  lag.disable();
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
  const inCall = calls.length ? `${pct(calls, 50).toFixed(2)} / ${Math.max(...calls).toFixed(2)} ms` : '-';
  const failed = codes.filter((c) => c !== 0).length;
  console.log(`${label.padEnd(34)} ${inCall.padStart(20)} ${`${ms(lag.percentile(99))} / ${ms(lag.max)} ms`.padStart(22)}${failed ? `  (${failed} lame failed)` : ''}`);
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const ballast = grow();
  const spawner = new LameSpawner('lame');
  await spawner.ready;
  const args = (dir: string, i: number): string[] => lameArgs(16000, 2, 48, 7, join(dir, `${i}.mp3`));
  console.log(`bench:spawn  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB (${ballast.length} blocks), ${COUNT} lame starts, one per 50 ms`);
  console.log(`${'way'.padEnd(34)} ${'start call p50/max'.padStart(20)} ${'loop delay p99/max'.padStart(22)}`);
  for (let round = 0; round < 2; round++) {
    const d0 = mkdtempSync(join(tmpdir(), 'bench-spawn-'));
    await run('nothing started (floor)', null, d0);
    const d1 = mkdtempSync(join(tmpdir(), 'bench-spawn-'));
    await run('fork of this process (before)', (i) => ({ bin: 'lame', args: args(d1, i), nice: 'idle', stdout: false }), d1);
    const d2 = mkdtempSync(join(tmpdir(), 'bench-spawn-'));
    await run('lame spawner (after)', (i) => ({ bin: 'lame', args: args(d2, i), nice: 'idle', stdout: false, spawner: spawner.path }), d2);
  }
  spawner.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
