/**
 * The encoder backlog the overload guard watches (overload.ts): a real lame, started by the
 * spawner at niceness 10, stopped with SIGSTOP as a starved one would be, while 10 s of audio
 * is pushed in 500 ms batches as a recording does. The audio the kernel cannot take waits in
 * the recording's job and is counted; once lame runs again it drains to 0 and the file holds
 * every second of it.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { InThreadEncoders } from '../../../src/recorder/encoder/output-job';
import { withSpawner } from '../../helpers/lame';
import { decodeBody } from '../recording/setup';
import { readFileSync } from 'node:fs';

const BATCH = 4000; // 500 ms at 8 kHz

function tone(n: number, freq: number): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000));
  return a;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('a stopped lame: its recording\'s backlog is counted, then drained into the file', async (t) => {
  const { dir, spawner } = await withSpawner(t, 'enc-backlog-');
  const encoders = new InThreadEncoders({ spawner: spawner.path });
  const path = join(dir, 'backlog.mp3');
  const sink = encoders.open({ path, format: 'mp3', sampleRate: 16000, channelMode: 'stereo', legs: 2, mp3Backend: 'lame-cli', lamePath: 'lame', mp3Quality: 7, encoderNice: 10 });
  sink.write([tone(BATCH, 1000), tone(BATCH, 400)]);
  let lame = 0;
  await until('lame started', () => {
    try {
      lame = Number(execFileSync('pgrep', ['-P', String(spawner.pid), 'lame']).toString().trim().split('\n')[0]);
    } catch {
      lame = 0;
    }
    return lame > 0;
  }, 5000);
  await until('the first batch taken', () => encoders.maxBacklogSec() === 0, 5000);

  process.kill(lame, 'SIGSTOP');
  t.teardown(() => { try { process.kill(lame, 'SIGCONT'); } catch { /* gone */ } });
  for (let i = 0; i < 20; i++) sink.write([tone(BATCH, 1000), tone(BATCH, 400)]);
  await new Promise((r) => setTimeout(r, 300));
  const held = encoders.maxBacklogSec();
  // What the socket's kernel buffers took (a few seconds of 16 kHz stereo) is not counted.
  t.ok(held >= 2 && held <= 10, `10 s pushed to a stopped lame: ${held.toFixed(1)} s counted as waiting`);

  process.kill(lame, 'SIGCONT');
  await until('the backlog drained', () => encoders.maxBacklogSec() === 0, 10_000);
  t.pass('lame running again: the backlog drains to 0');
  const done = await sink.close();
  t.equal(done?.frames, 21 * BATCH * 2, 'every batch reached the encoder (frames at 16 kHz)');
  const dec = decodeBody(readFileSync(path), 'mp3');
  t.ok(Math.abs(dec.durationSec - 10.5) < 0.2, `the file holds the 10.5 s: ${dec.durationSec.toFixed(2)} s`);
  t.equal(encoders.maxBacklogSec(), 0, 'a closed recording is no longer watched');
});
