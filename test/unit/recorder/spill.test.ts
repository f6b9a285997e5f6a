/**
 * The spill file (encoder/spill.ts): batches come back as written and in any order asked,
 * never in clear on disk, a file that does not read back as written fails, a batch whose write
 * failed comes back from memory, and the file is gone once emptied; a crash's leftovers are
 * swept at start.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpillFile, sweepSpillFiles } from '../../../src/recorder/encoder/spill';
import { tempDir } from '../../helpers/temp';
import { waitFor } from '../../helpers/wait';

/** Legs of n samples whose every value says which batch and leg it is. */
function legs(batch: number, count: number, n: number): Int16Array[] {
  return Array.from({ length: count }, (_, leg) => Int16Array.from({ length: n }, (_, i) => (batch * 1000 + leg * 100 + (i % 100)) - 16000));
}

const spillsIn = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.spill'));

const shapes = [
  { name: 'two legs of 500 ms', legs: 2, n: 4000 },
  { name: 'one leg (record_caller)', legs: 1, n: 4000 },
  { name: 'a short last batch, odd length', legs: 2, n: 37 },
];

for (const shape of shapes) {
  t.test(`${shape.name}: what goes in comes back, the file is sealed and goes when emptied`, async (t) => {
    const dir = tempDir('spill-');
    const spill = new SpillFile(join(dir, 'rec.mp3'));
    const put = [0, 1, 2].map((b) => ({ b, batch: spill.put(legs(b, shape.legs, shape.n)) }));
    await Promise.all(put.map((p) => p.batch.written));
    t.same(spillsIn(dir), ['rec.mp3.1.spill'], 'one file beside the recording while batches wait');
    t.ok(put.every((p) => p.batch.sealed === null), 'written: none of it held in memory');
    const disk = readFileSync(join(dir, 'rec.mp3.1.spill'));
    t.equal(disk.length, 3 * shape.legs * shape.n * 2, 'one sealed copy of each batch (GCM adds no length)');
    t.equal(spill.size, disk.length, 'counted');
    const first = legs(0, shape.legs, shape.n)[0];
    t.equal(disk.indexOf(Buffer.from(first.buffer, 0, Math.min(64, first.byteLength))), -1, 'no PCM in clear');
    for (const { b, batch } of put) t.same(await spill.take(batch), legs(b, shape.legs, shape.n), `batch ${b} back as written`);
    // Deleted in the background (libuv's pool): waited for, not timed.
    t.ok(await waitFor(() => spillsIn(dir).length === 0), 'emptied: deleted');
    t.equal(spill.size, 0, 'and counted empty');
    const again = spill.put(legs(7, shape.legs, shape.n));
    await again.written;
    t.same(spillsIn(dir), ['rec.mp3.2.spill'], 'the next spill starts a file of its own');
    t.same(await spill.take(again), legs(7, shape.legs, shape.n), 'and reads back');
    await spill.discard();
    t.same(spillsIn(dir), [], 'discarded');
  });
}

t.test('a file that does not read back as written fails the take', async (t) => {
  const cases: { name: string; spoil: (path: string, bytes: Buffer) => void }[] = [
    { name: 'a flipped byte', spoil: (path, bytes) => { bytes[10] ^= 1; writeFileSync(path, bytes); } },
    { name: 'truncated', spoil: (path, bytes) => writeFileSync(path, bytes.subarray(0, 100)) },
  ];
  for (const c of cases) {
    const dir = tempDir('spill-');
    const spill = new SpillFile(join(dir, 'rec.mp3'));
    const batch = spill.put(legs(1, 2, 4000));
    await batch.written;
    const path = join(dir, 'rec.mp3.1.spill');
    c.spoil(path, readFileSync(path));
    await t.rejects(spill.take(batch), `${c.name}: rejects rather than give back altered audio`);
    await spill.discard();
    t.notOk(existsSync(path), `${c.name}: discarded`);
  }
});

t.test('a batch whose write failed stays in memory, comes back from there, and the failure is told once', async (t) => {
  // A directory that does not exist: the file cannot be created, even by root.
  const dir = join(tempDir('spill-'), 'gone');
  const told: string[] = [];
  const spill = new SpillFile(join(dir, 'rec.mp3'), (path, err) => told.push(`${path}: ${err.message}`));
  const first = spill.put(legs(2, 2, 4000));
  const second = spill.put(legs(2, 3, 4000));
  await Promise.all([first.written, second.written]);
  t.ok(first.sealed !== null && second.sealed !== null, 'not written: both held in memory, sealed');
  t.same(await spill.take(first), legs(2, 2, 4000), 'the first comes back whole');
  t.same(await spill.take(second), legs(2, 3, 4000), 'and the second');
  t.equal(told.length, 1, 'told once, not per batch');
  t.match(told[0], new RegExp(`^${join(dir, 'rec.mp3.1.spill')}: ENOENT`), 'naming the file and the reason');
  await spill.discard();
});

t.test('another file\'s key does not open a batch (each file has its own)', async (t) => {
  const dir = tempDir('spill-');
  const a = new SpillFile(join(dir, 'a.mp3'));
  const b = new SpillFile(join(dir, 'b.mp3'));
  const fromA = a.put(legs(3, 2, 160));
  const ownB = b.put(legs(4, 2, 160));
  await Promise.all([fromA.written, ownB.written]);
  // b's file now holds a's sealed batch at the same place, with a's IV and tag: only the key differs.
  writeFileSync(join(dir, 'b.mp3.1.spill'), readFileSync(join(dir, 'a.mp3.1.spill')));
  await t.rejects(b.take({ ...ownB, iv: fromA.iv, tag: fromA.tag }), 'b cannot open what a sealed');
  t.same(await a.take(fromA), legs(3, 2, 160), 'a can');
  await b.discard();
});

t.test('a crash\'s spill files are swept at start, nothing else', async (t) => {
  const dir = tempDir('spill-');
  for (const name of ['call_recording_x_1.mp3.1.spill', 'call_recording_y_2.wav.3.spill', 'call_recording_x_1.mp3', 'notes.txt']) writeFileSync(join(dir, name), 'x');
  t.equal(await sweepSpillFiles(dir), 2, 'two spill files deleted');
  t.ok(existsSync(join(dir, 'call_recording_x_1.mp3')), 'a recording stays');
  t.ok(existsSync(join(dir, 'notes.txt')), 'anything else stays');
  t.equal(await sweepSpillFiles(join(dir, 'missing')), 0, 'a directory not created yet: nothing');
});
