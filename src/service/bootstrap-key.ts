import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A fresh install has no account and so no api key: without a bootstrap key nobody could ever
 * log in. When none is configured, one is generated on first start and kept next to the store
 * (mode 0600, so only the service's user reads it), and the same key is used on later starts.
 * Returns the key and where it lives.
 */
export function ensureBootstrapKey(storePath: string): { key: string; file: string } {
  const dir = storePath === ':memory:' ? 'var' : dirname(storePath);
  const file = join(dir, 'bootstrap-api-key');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing !== '') return { key: existing, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // 64 hex characters: the length Kazoo expects of an api key.
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, file };
}
