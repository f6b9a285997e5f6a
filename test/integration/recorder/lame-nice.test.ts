/**
 * The lame encoders run at the configured niceness or under SCHED_IDLE (the default), below the
 * service's own threads: on a saturated machine the recorder's RTP reception must win over
 * encoding, which can lag safely.
 * The files the encoders write are owner-only (0600) whatever the umask. The spawner that starts
 * them restarts when killed, and goes with its service, socket directory and all.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Mp3LameCliWriter } from '../../../src/recorder/encoder/mp3-lame-cli';
import { WavFileWriter } from '../../../src/recorder/encoder/wav';
import { startLame } from '../../../src/recorder/spawner/lame-process';
import { withSpawner } from '../../helpers/lame';
import type { EncoderPriority } from '../../../src/recorder/spawner/priority';

function statOf(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 19 of /proc/<pid>/stat: the nice value. */
const niceOf = (pid: number): number => Number(statOf(pid)[16]);
/** Field 41: the scheduling policy (sched(7): 0 SCHED_OTHER, 5 SCHED_IDLE). */
const policyOf = (pid: number): number => Number(statOf(pid)[38]);
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;
/** Running: its /proc entry is there and not a zombie (field 3, the state, is not Z). */
function running(pid: number): boolean {
  try {
    return statOf(pid)[0] !== 'Z';
  } catch {
    return false; // gone between the check and the read, or long gone
  }
}
/** Field 4: the parent pid. */
const parentOf = (pid: number): number => Number(statOf(pid)[1]);

t.test('lame runs at the requested niceness and still writes the file, forked here or by the spawner', async (t) => {
  const { dir, spawner } = await withSpawner(t, 'lame-nice-');
  const own = niceOf(process.pid);
  // [requested, niceness seen, policy seen, forked here or by the spawner]
  const cases: Array<[EncoderPriority, number, number, string | undefined]> = [
    [10, 10, SCHED_OTHER, undefined], [0, own, SCHED_OTHER, undefined], ['idle', own, SCHED_IDLE, undefined],
    [10, 10, SCHED_OTHER, spawner.path], [0, own, SCHED_OTHER, spawner.path], ['idle', own, SCHED_IDLE, spawner.path],
  ];
  for (const [nice, expected, policy, via] of cases) {
    const path = join(dir, `n${nice}${via ? 's' : ''}.mp3`);
    const w = new Mp3LameCliWriter(path, 16000, 2, { lameBin: 'lame', quality: 7, nice, ...(via ? { spawner: via } : {}) });
    const pid = await w.pid();
    t.ok(pid !== undefined, 'lame started');
    // chrt sets the policy, then executes lame in its own process: wait for lame to be there.
    for (let i = 0; i < 100 && !readFileSync(`/proc/${pid as number}/cmdline`, 'utf8').startsWith('lame'); i++) await new Promise((r) => setTimeout(r, 10));
    t.match(readFileSync(`/proc/${pid as number}/cmdline`, 'utf8'), /^lame\0/, `${nice}: the pid is lame's own (signals and the exit code are lame's)`);
    t.equal(niceOf(pid as number), expected, `nice ${nice}${via ? ' (spawner)' : ''}: lame at ${expected}`);
    t.equal(policyOf(pid as number), policy, `nice ${nice}${via ? ' (spawner)' : ''}: policy ${policy === SCHED_IDLE ? 'SCHED_IDLE' : 'SCHED_OTHER'}`);
    if (via) t.equal(parentOf(pid as number), spawner.pid, 'the spawner, not this process, is lame\'s parent');
    const pcm = new Int16Array(16000 * 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin(i / 5));
    await w.write(pcm);
    const bytes = await w.close();
    t.ok(bytes > 1000 && statSync(path).size === bytes, `nice ${nice}${via ? ' (spawner)' : ''}: ${bytes} bytes of MP3`);
  }
});

t.test('the file lame writes, and the WAV writer\'s, are owner-only whatever the umask', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lame-mode-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const old = process.umask(0o022); // the usual umask: lame's fopen alone would give 0644
  t.teardown(() => { process.umask(old); });
  const mp3 = join(dir, 'a.mp3');
  const w = new Mp3LameCliWriter(mp3, 8000, 1, { lameBin: 'lame', quality: 7 });
  await w.write(new Int16Array(8000));
  t.ok((await w.close()) > 0, 'lame wrote the file');
  t.equal((statSync(mp3).mode & 0o777).toString(8), '600', 'MP3 from the lame child: 0600');
  const wav = new WavFileWriter(join(dir, 'a.wav'), 8000, 1);
  wav.write(new Int16Array(800));
  await wav.close();
  t.equal((statSync(join(dir, 'a.wav')).mode & 0o777).toString(8), '600', 'WAV: 0600');
});

t.test('the lame spawner killed mid-recording: that encoder fails, the spawner is restarted, the next one encodes', async (t) => {
  const { dir, spawner } = await withSpawner(t, 'lame-spawner-');
  const w = new Mp3LameCliWriter(join(dir, 'a.mp3'), 8000, 1, { spawner: spawner.path });
  await w.write(new Int16Array(8000));
  process.kill(spawner.pid as number, 'SIGKILL');
  await t.rejects(w.close(), { code: 'RECORDER_ENCODER_FAILED' }, 'its exit code is lost with the spawner: failed, never taken for done');
  await t.resolves(async () => {
    while (spawner.starts < 2) await new Promise((r) => setTimeout(r, 20));
  }, 'restarted');
  await spawner.ready;
  const next = new Mp3LameCliWriter(join(dir, 'b.mp3'), 8000, 1, { spawner: spawner.path });
  await next.write(new Int16Array(8000));
  t.ok((await next.close()) > 0, 'the next encoder works through the new spawner');
});

t.test('the spawner starts the configured lame only: any other program is refused', async (t) => {
  const { dir, spawner } = await withSpawner(t, 'lame-refuse-');
  const p = startLame({ bin: '/bin/touch', args: [join(dir, 'pwned')], nice: 0, stdout: false, spawner: spawner.path });
  await t.rejects(p.ready, /refused to start \/bin\/touch/, 'refused with a reason');
  t.equal(await p.exited, -1, 'never ran');
  t.throws(() => statSync(join(dir, 'pwned')), 'the program did not run');
});

t.test('the service killed outright: its spawner goes, and takes its socket directory along', async (t) => {
  // A process of its own that starts a spawner, prints the socket path, and is then SIGKILLed:
  // no close() runs, as after a crash or an OOM kill.
  const helper = join(__dirname, '../../../src/recorder/spawner/helper.js');
  const svc = spawn(process.execPath, ['-e', `const { LameSpawner } = require(${JSON.stringify(helper)});
    const s = new LameSpawner('lame'); s.ready.then(() => console.log(JSON.stringify({ path: s.path, pid: s.pid }))); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => svc.kill('SIGKILL'));
  const first = await new Promise<string>((resolve) => svc.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  const { path, pid } = JSON.parse(first) as { path: string; pid: number };
  t.ok(existsSync(path), 'the spawner listens on its socket');
  svc.kill('SIGKILL');
  const gone = async (what: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 250 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
    return what();
  };
  t.ok(await gone(() => !running(pid)), 'the spawner exited with its service');
  t.ok(await gone(() => !existsSync(dirname(path))), 'its socket directory is removed');
});
