import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KeyRing, type KeySource } from '../../src/atrest/keyring';
import { tempDir } from './temp';

/** Random 32-byte keys written to owner-only files (base64 text, as an operator would keep them). */
export function keyFiles(ids: readonly string[]): { sources: KeySource[]; secrets: Record<string, string> } {
  const dir = tempDir('keys-');
  const secrets: Record<string, string> = {};
  const sources = ids.map((id) => {
    secrets[id] = randomBytes(32).toString('base64');
    const file = join(dir, `${id}.key`);
    writeFileSync(file, `${secrets[id]}\n`, { mode: 0o600 });
    return { id, file };
  });
  return { sources, secrets };
}

export function keyRing(sources: readonly KeySource[], active: string | undefined): KeyRing {
  return new KeyRing(sources, active);
}
