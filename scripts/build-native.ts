/**
 * Builds the recorder's batched UDP receiver (src/recorder/udp/udp_batch.c) into
 * dist/native/udp_batch.node with the system C compiler and Node's own Node-API headers: no
 * node-gyp, no download. Run by `npm run build` after tsc. A machine without a compiler still
 * builds: the recorder then receives with node:dgram (recorder.receive "auto") and says so at
 * start; `recorder.receive: "batched"` makes its absence an error instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const source = join(root, 'src/recorder/udp/udp_batch.c');
const out = join(root, 'dist/native/udp_batch.node');

/** Where this Node's headers are: beside its binary (official tarballs), or the distribution's. */
function nodeIncludeDir(): string | null {
  const candidates = [resolve(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

function main(): void {
  const include = nodeIncludeDir();
  if (include === null) {
    console.warn('build-native: no node_api.h found; the recorder will receive with node:dgram');
    return;
  }
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', `-I${include}`, '-o', out, source], { stdio: 'inherit', timeout: 120_000 });
  } catch (err) {
    console.warn(`build-native: ${cc} failed (${(err as Error).message.split('\n')[0]}); the recorder will receive with node:dgram`);
  }
}

main();
