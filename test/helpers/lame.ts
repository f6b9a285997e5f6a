import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LameSpawner } from '../../src/recorder/spawner/helper';

/** A temporary directory and a running lame spawner, both gone at the test's end. */
export async function withSpawner(t: { teardown(fn: () => void): void }, prefix: string): Promise<{ dir: string; spawner: LameSpawner }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const spawner = new LameSpawner('lame');
  t.teardown(() => {
    spawner.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await spawner.ready;
  return { dir, spawner };
}
