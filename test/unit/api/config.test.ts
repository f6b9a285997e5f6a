import t from 'tap';
import { deepMerge, envOverrides, parseConfig } from '../../../src/config';

t.test('api and store sections: safe defaults, env overrides', (t) => {
  const c = parseConfig({});
  t.same(
    { host: c.api.host, port: c.api.port, key: c.api.bootstrapApiKey, ttl: c.api.tokenTtlSec },
    { host: '127.0.0.1', port: 8000, key: '', ttl: 3600 },
    'loopback, Crossbar port, no bootstrap key until one is configured',
  );
  t.same({ driver: c.store.driver, path: c.store.path }, { driver: 'sqlite', path: 'var/b2bua.sqlite' });

  const env = parseConfig(deepMerge({}, envOverrides({ B2BUA_API__BOOTSTRAP_API_KEY: 'first-key', B2BUA_API__TOKEN_TTL_SEC: '600', B2BUA_STORE__PATH: '/tmp/x.sqlite' })));
  t.equal(env.api.bootstrapApiKey, 'first-key', 'B2BUA_API__BOOTSTRAP_API_KEY');
  t.equal(env.api.tokenTtlSec, 600);
  t.equal(env.store.path, '/tmp/x.sqlite');
  t.throws(() => parseConfig({ api: { port: 70000 } }), { code: 'CONFIG_INVALID' });
  t.throws(() => parseConfig({ store: { driver: 'mysql' } }), { code: 'CONFIG_INVALID' });
  t.end();
});
