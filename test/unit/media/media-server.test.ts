import t from 'tap';
import pino from 'pino';
import { parseConfig } from '../../../src/config';
import { MediaServer, RtpengineProcess } from '../../../src/media';

const log = pino({ level: 'silent' });

t.test('config defaults of the media section', async (t) => {
  const m = parseConfig({}).media;
  t.equal(m.mode, 'local');
  t.same(
    [m.local.binary, m.local.interface, m.local.ngHost, m.local.ngPort, m.local.portMin, m.local.portMax],
    ['rtpengine', '127.0.0.1', '127.0.0.1', 22222, 30000, 39999],
  );
  t.same([m.commandTimeoutMs, m.healthCheckMs, m.local.watchdogMs], [2000, 5000, 2000]);
  t.same(m.external, []);
  t.throws(() => parseConfig({ media: { mode: 'remote' } }), { name: 'ConfigError' });
  t.throws(() => parseConfig({ media: { external: [{ host: 'x', port: 70000 }] } }), { name: 'ConfigError' });
});

t.test('rtpengine command line from config', async (t) => {
  const m = parseConfig({ media: { local: { ngPort: 23456, portMin: 21000, portMax: 21199, interface: '10.0.0.1', extraArgs: ['--timeout=90'] } } }).media;
  const args = new RtpengineProcess(m.local, log).args();
  t.same(args, [
    '--config-file=none', '--table=-1', '--foreground', '--log-stderr', '--no-log-timestamps', '--log-level=5',
    '--interface=10.0.0.1', '--listen-ng=127.0.0.1:23456', '--port-min=21000', '--port-max=21199',
    '--delete-delay=0', '--timeout=90',
  ]);
});

t.test('call-id hashing picks a stable instance and spreads calls', async (t) => {
  const targets = [1, 2, 3].map((i) => ({ host: '127.0.0.1', port: 30000 + i }));
  const a = new MediaServer(targets, 100, log);
  const b = new MediaServer(targets, 100, log);
  t.teardown(() => {
    a.close();
    b.close();
  });
  const counts = [0, 0, 0];
  let disagreements = 0;
  for (let i = 0; i < 300; i++) {
    const id = `call-${i}@host`;
    if (a.hashIndex(id) !== b.hashIndex(id) || a.instanceOf(id).port !== targets[a.hashIndex(id)].port) disagreements++;
    counts[a.hashIndex(id)]++;
  }
  t.equal(disagreements, 0, 'same call-id, same instance, in every MediaServer');
  t.ok(counts.every((c) => c > 50), `every instance gets calls (${counts.join('/')})`);
  t.throws(() => new MediaServer([], 100, log), RangeError, 'at least one instance');
});
