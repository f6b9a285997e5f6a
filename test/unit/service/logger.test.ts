/**
 * Log lines carry each binding once: pino appends a child's bindings to its parent's, so a part
 * logger made from another part's logger printed `"part"` twice or three times.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../../src/config';
import { DeliveryQueue } from '../../../src/delivery';
import { Service } from '../../../src/service';
import { uniqueChindings, withUniqueBindings } from '../../../src/service/logger';

/** A pino destination keeping every line as written. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  return { stream, lines };
}

const count = (text: string, key: string): number => text.split(`"${key}":`).length - 1;

t.test('uniqueChindings: each key once, last value, first place', (t) => {
  const table: Array<[string, string]> = [
    ['', ''],
    [',"pid":1,"hostname":"h"', ',"pid":1,"hostname":"h"'],
    [',"pid":1,"part":"recording","callId":"c@h","part":"delivery","part":"delivery"', ',"pid":1,"part":"delivery","callId":"c@h"'],
    [',"part":"a","x":{"part":"nested"},"part":"b"', ',"part":"b","x":{"part":"nested"}'],
  ];
  for (const [raw, want] of table) t.equal(uniqueChindings(raw), want, raw);
  t.end();
});

t.test('a child of a child: one "part" in the raw line, the innermost value', (t) => {
  const { stream, lines } = capture();
  const log = withUniqueBindings(pino({ level: 'info' }, stream));
  log.child({ part: 'calls', callId: 'c1@h' }).child({ part: 'recording' }).child({ part: 'recorder' }).info('hello');
  t.equal(lines.length, 1);
  const line = lines[0] ?? '';
  t.equal(count(line, 'part'), 1, line);
  t.equal(count(line, 'callId'), 1);
  t.match(JSON.parse(line), { part: 'recorder', callId: 'c1@h', msg: 'hello', pid: process.pid });
  t.end();
});

t.test("the delivery queue under the recording part's logger (as the service builds it)", async (t) => {
  const { stream, lines } = capture();
  const dir = mkdtempSync(join(tmpdir(), 'log-part-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const recording = withUniqueBindings(pino({ level: 'info' }, stream)).child({ part: 'recording' });
  const q = new DeliveryQueue({ ...parseConfig({ delivery: { spoolDir: dir } }).delivery, allow: [], deny: [] }, { logger: recording.child({ part: 'delivery' }) });
  await q.start();
  await q.close();
  const line = lines.find((l) => l.includes('delivery queue replayed'));
  if (line === undefined) throw new Error(`no replay line in ${JSON.stringify(lines)}`);
  t.equal(count(line, 'part'), 1, line);
  t.equal(JSON.parse(line).part, 'delivery');
});

t.test('the service applies it to the logger it is given', async (t) => {
  const { stream, lines } = capture();
  const service = new Service(parseConfig({ service: { shutdown: { drainSec: 1, uploadGraceSec: 1 } } }), pino({ level: 'info' }, stream).child({ part: 'main' }));
  await service.drainAndClose('test');
  const line = lines.find((l) => l.includes('shutdown state'));
  if (line === undefined) throw new Error(`no shutdown line in ${JSON.stringify(lines)}`);
  t.equal(count(line, 'part'), 1, line);
  t.equal(JSON.parse(line).part, 'shutdown');
});
