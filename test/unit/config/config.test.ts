import t from 'tap';
import { parseConfig, envOverrides, deepMerge, ConfigError } from '../../../src/config';

t.test('defaults apply and the result is frozen', (t) => {
  const c = parseConfig({});
  t.equal(c.engine.sip.t1, 500);
  t.equal(c.engine.drachtio.port, 9022);
  t.ok(Object.isFrozen(c.engine.sip));
  t.end();
});

t.test('env overrides nest on double underscore and parse JSON scalars', (t) => {
  const o = envOverrides({ B2BUA_ENGINE__SIP__T1: '250', B2BUA_LOG_LEVEL: 'debug', OTHER: 'x' });
  t.same(o, { engine: { sip: { t1: '250' } }, logLevel: 'debug' });
  const c = parseConfig(deepMerge({ engine: { sip: { t2: 2000 } } }, o));
  t.equal(c.engine.sip.t1, 250);
  t.equal(c.engine.sip.t2, 2000);
  t.equal(c.logLevel, 'debug');
  t.end();
});

t.test('engine.sip.tls: absent by default; when set, port 5061, TLS 1.2 minimum and AEAD ciphers by default', (t) => {
  t.equal(parseConfig({}).engine.sip.tls, undefined);
  const tls = parseConfig({ engine: { sip: { tls: { certFile: '/c.pem', keyFile: '/k.pem' } } } }).engine.sip.tls;
  t.match(tls, { host: '127.0.0.1', port: 5061, minVersion: 'TLSv1.2', requireClientCert: false, handshakeTimeoutMs: 10000 });
  t.notMatch(tls?.ciphers ?? '', /CBC|RC4|3DES|^AES|:AES/, 'no CBC or static-RSA suites');
  t.end();
});

t.test('invalid values are reported by path', (t) => {
  const cases: Array<[unknown, string]> = [
    [{ engine: { sip: { t1: 0 } } }, '/engine/sip/t1'],
    [{ engine: { drachtio: { port: 70000 } } }, '/engine/drachtio/port'],
    [{ logLevel: 'loud' }, '/logLevel'],
    [{ engine: { sip: { tls: { keyFile: '/k.pem' } } } }, '/engine/sip/tls/certFile'],
    [{ engine: { sip: { tls: { certFile: '/c.pem', keyFile: '/k.pem', minVersion: 'TLSv1.1' } } } }, '/engine/sip/tls/minVersion'],
    [{ recorder: { overloadLagMs: -1 } }, '/recorder/overloadLagMs'],
    [{ recorder: { encoderNice: 'lazy' } }, '/recorder/encoderNice'],
    [{ recorder: { encoderNice: 20 } }, '/recorder/encoderNice'],
    [{ calls: { maxCalls: -1 } }, '/calls/maxCalls'],
  ];
  for (const [input, path] of cases) {
    try {
      parseConfig(input);
      t.fail(`expected ConfigError for ${path}`);
    } catch (err) {
      t.ok(err instanceof ConfigError, 'named error class');
      t.ok((err as ConfigError).problems.some((p) => p.startsWith(path)), `problem names ${path}`);
    }
  }
  t.end();
});

t.test('env scalars convert to the schema type; digit-only strings stay strings', (t) => {
  const c = parseConfig(envOverrides({ B2BUA_ENGINE__SIP__T1: '250', B2BUA_ENGINE__DRACHTIO__SECRET: '123456' }));
  t.equal(c.engine.sip.t1, 250);
  t.equal(c.engine.drachtio.secret, '123456');
  const l = parseConfig(envOverrides({ B2BUA_ENGINE__SIP__LISTEN: '[{"host":"127.0.0.1","port":5070}]' }));
  t.equal(l.engine.sip.listen[0].port, 5070);
  t.end();
});
