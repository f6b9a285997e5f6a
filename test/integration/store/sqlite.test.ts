/** The DocumentStore contract against the embedded SQLite store (a file per test). */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDocumentStore } from '../../../src/store';
import { storeContract } from './contract';

storeContract(t, {
  name: 'sqlite',
  async backing(t) {
    const dir = mkdtempSync(join(tmpdir(), 'store-test-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // A sub-directory that does not exist yet: the store creates it.
    const path = join(dir, 'sub', 'b2bua.sqlite');
    return { open: async (now) => new SqliteDocumentStore({ path, ...(now ? { now } : {}) }) };
  },
});
