/**
 * The lame encoders run at the configured niceness, below the service's own threads: on a
 * saturated machine the recorder's RTP reception must win over encoding, which can lag safely.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mp3LameCliWriter } from '../../../src/recorder/encoder/mp3-lame-cli';

/** Field 19 of /proc/<pid>/stat: the nice value. */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

t.test('lame runs at the requested niceness and still writes the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lame-nice-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases: Array<[number, number]> = [[10, 10], [0, niceOf(process.pid)]];
  for (const [nice, expected] of cases) {
    const path = join(dir, `n${nice}.mp3`);
    const w = new Mp3LameCliWriter(path, 16000, 2, undefined, 'lame', 7, nice);
    const pid = w.pid;
    t.ok(pid !== undefined, 'lame started');
    t.equal(niceOf(pid as number), expected, `nice ${nice}: lame at ${expected}`);
    const pcm = new Int16Array(16000 * 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin(i / 5));
    await w.write(pcm);
    const bytes = await w.close();
    t.ok(bytes > 1000 && statSync(path).size === bytes, `nice ${nice}: ${bytes} bytes of MP3`);
  }
});
