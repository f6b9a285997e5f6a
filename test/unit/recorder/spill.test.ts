/**
 * The spill file (encoder/spill.ts): batches come back as written and in any order asked,
 * never in clear on disk, a file that does not read back as written fails, and it is gone once
 * emptied; a crash's leftovers are swept at start.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpillFile, sweepSpillFiles } from '../../../src/recorder/encoder/spill';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'spill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Legs of n samples whose every value says which batch and leg it is. */
function legs(batch: number, count: number, n: number): Int16Array[] {
  return Array.from({ length: count }, (_, leg) => Int16Array.from({ length: n }, (_, i) => (batch * 1000 + leg * 100 + (i % 100)) - 16000));
}

const shapes = [
  { name: 'two legs of 500 ms', legs: 2, n: 4000 },
  { name: 'one leg (record_caller)', legs: 1, n: 4000 },
  { name: 'a short last batch, odd length', legs: 2, n: 37 },
];

for (const shape of shapes) {
  t.test(`${shape.name}: what goes in comes back, the file is sealed and goes when emptied`, (t) => {
    const path = join(tempDir(t), 'rec.mp3.spill');
    const spill = new SpillFile(path);
    const put = [0, 1, 2].map((b) => ({ b, batch: spill.put(legs(b, shape.legs, shape.n)) }));
    t.ok(existsSync(path), 'the file exists while batches wait');
    const disk = readFileSync(path);
    t.equal(disk.length, 3 * shape.legs * shape.n * 2, 'one sealed copy of each batch (GCM adds no length)');
    const first = legs(0, shape.legs, shape.n)[0];
    t.equal(disk.indexOf(Buffer.from(first.buffer, 0, Math.min(64, first.byteLength))), -1, 'no PCM in clear');
    for (const { b, batch } of put) t.same(spill.take(batch), legs(b, shape.legs, shape.n), `batch ${b} back as written`);
    t.notOk(existsSync(path), 'emptied: deleted');
    t.equal(spill.size, 0, 'and counted empty');
    t.end();
  });
}

t.test('a file that does not read back as written fails the take', (t) => {
  const cases: { name: string; spoil: (path: string, bytes: Buffer) => void }[] = [
    { name: 'a flipped byte', spoil: (path, bytes) => { bytes[10] ^= 1; writeFileSync(path, bytes); } },
    { name: 'truncated', spoil: (path, bytes) => writeFileSync(path, bytes.subarray(0, 100)) },
  ];
  for (const c of cases) {
    const path = join(tempDir(t), `${c.name}.spill`);
    const spill = new SpillFile(path);
    const batch = spill.put(legs(1, 2, 4000));
    c.spoil(path, readFileSync(path));
    t.throws(() => spill.take(batch), `${c.name}: throws rather than give back altered audio`);
    spill.discard();
    t.notOk(existsSync(path), `${c.name}: discarded`);
  }
  t.end();
});

t.test('another file\'s key does not open a batch (each file has its own)', (t) => {
  const dir = tempDir(t);
  const a = new SpillFile(join(dir, 'a.spill'));
  const b = new SpillFile(join(dir, 'b.spill'));
  const fromA = a.put(legs(3, 2, 160));
  const ownB = b.put(legs(4, 2, 160));
  // b's file now holds a's sealed batch at the same place, with a's IV and tag: only the key differs.
  writeFileSync(join(dir, 'b.spill'), readFileSync(join(dir, 'a.spill')));
  t.throws(() => b.take({ ...ownB, iv: fromA.iv, tag: fromA.tag }), 'b cannot open what a sealed');
  t.same(a.take(fromA), legs(3, 2, 160), 'a can');
  b.discard();
  t.end();
});

t.test('a crash\'s spill files are swept at start, nothing else', (t) => {
  const dir = tempDir(t);
  for (const name of ['call_recording_x_1.mp3.spill', 'call_recording_y_2.wav.spill', 'call_recording_x_1.mp3', 'notes.txt']) writeFileSync(join(dir, name), 'x');
  t.equal(sweepSpillFiles(dir), 2, 'two spill files deleted');
  t.ok(existsSync(join(dir, 'call_recording_x_1.mp3')), 'a recording stays');
  t.ok(existsSync(join(dir, 'notes.txt')), 'anything else stays');
  t.equal(sweepSpillFiles(join(dir, 'missing')), 0, 'a directory not created yet: nothing');
  t.end();
});
