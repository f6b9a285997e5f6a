import t from 'tap';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBootstrapKey } from '../../../src/service/bootstrap-key';

t.test('a bootstrap key is generated once, kept 0600 beside the store, and reused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'boot-'));
  const first = ensureBootstrapKey(join(dir, 'db', 'b2bua.sqlite'));
  t.match(first.key, /^[0-9a-f]{64}$/);
  t.equal(first.file, join(dir, 'db', 'bootstrap-api-key'));
  t.equal(statSync(first.file).mode & 0o777, 0o600);
  t.equal(readFileSync(first.file, 'utf8').trim(), first.key);
  const second = ensureBootstrapKey(join(dir, 'db', 'b2bua.sqlite'));
  t.equal(second.key, first.key, 'same key on the next start');
  t.end();
});
