/**
 * Builds the recorder's native addons with the system C compiler and Node's own Node-API
 * headers: no node-gyp, no download. Run by `npm run build` after tsc.
 * - src/recorder/udp/udp_batch.c -> dist/native/udp_batch.node: batched RTP receive;
 * - src/recorder/halfband.c -> dist/native/halfband.node: the 8 -> 16 kHz upsampler's loop.
 * A machine without a compiler still builds and runs: the recorder then receives with node:dgram
 * (recorder.receive "auto") and upsamples in TypeScript (the same output, more CPU), and says
 * both at start; `recorder.receive: "batched"` makes the receiver's absence an error instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

const ADDONS = [
  { source: 'src/recorder/udp/udp_batch.c', out: 'udp_batch.node', without: 'the recorder will receive with node:dgram' },
  { source: 'src/recorder/halfband.c', out: 'halfband.node', without: 'the recorder will upsample in TypeScript' },
];

/** Where this Node's headers are: beside its binary (official tarballs), or the distribution's. */
function nodeIncludeDir(): string | null {
  const candidates = [resolve(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

function main(): void {
  const include = nodeIncludeDir();
  if (include === null) {
    for (const a of ADDONS) console.warn(`build-native: no node_api.h found; ${a.without}`);
    return;
  }
  mkdirSync(join(root, 'dist/native'), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  for (const a of ADDONS) {
    // -ffp-contract=off: no fused multiply-add, so floating point matches V8's bit for bit.
    const args = ['-O3', '-ffp-contract=off', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', `-I${include}`, '-o', join(root, 'dist/native', a.out), join(root, a.source)];
    try {
      execFileSync(cc, args, { stdio: 'inherit', timeout: 120_000 });
    } catch (err) {
      console.warn(`build-native: ${cc} failed on ${a.source} (${(err as Error).message.split('\n')[0]}); ${a.without}`);
    }
  }
}

main();
