/**
 * The encoder backlog the overload guard watches (overload.ts): a real lame, started by the
 * spawner at niceness 10, stopped with SIGSTOP as a starved one would be, while audio is pushed
 * in 500 ms batches as a recording does. The audio the kernel cannot take waits in the
 * recording's job and is counted; once lame runs again it drains to 0 and the file holds every
 * second of it. Past the job's memory allowance the audio waits in a sealed spill file
 * (spill.ts): memory stays bounded, the file never holds the audio in clear, and the recording
 * comes out whole and in order. A lame that takes nothing for the stall limit is killed as hung
 * and its recording fails, instead of waiting forever.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { InThreadEncoders, type JobLimits } from '../../../src/recorder/encoder/output-job';
import { withSpawner } from '../../helpers/lame';
import { decodeBody } from '../recording/setup';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { rms } from './decode';
import { waitFor } from '../../helpers/wait';

const BATCH = 4000; // 500 ms at 8 kHz

/** The spill files beside a recording (`<recording>.<n>.spill`). */
function spillFiles(path: string): string[] {
  return readdirSync(dirname(path)).filter((n) => n.startsWith(`${basename(path)}.`) && n.endsWith('.spill')).map((n) => join(dirname(path), n));
}

/** 500 ms of a tone; whole cycles, so batches join without a click. */
function tone(n: number, freq: number, amplitude = 8000): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / 8000));
  return a;
}

/** waitFor with a name: fails the test step instead of returning false. */
async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  if (!(await waitFor(cond, timeoutMs))) throw new Error(`timed out waiting for ${what}`);
}

/** A recording's encoder on a real lame (through the spawner), and that lame's pid once it runs. */
async function stoppableRecording(t: Test, name: string, limits?: JobLimits) {
  const { dir, spawner } = await withSpawner(t, 'enc-backlog-');
  const encoders = new InThreadEncoders({ spawner: spawner.path, ...(limits === undefined ? {} : { limits }) });
  const path = join(dir, name);
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
  return { encoders, path, sink, lame, resume: () => process.kill(lame, 'SIGCONT') };
}

t.test('a stopped lame: its recording\'s backlog is counted, then drained into the file', async (t) => {
  const { encoders, path, sink, resume } = await stoppableRecording(t, 'backlog.mp3');
  for (let i = 0; i < 20; i++) sink.write([tone(BATCH, 1000), tone(BATCH, 400)]);
  await new Promise((r) => setTimeout(r, 300));
  const held = encoders.maxBacklogSec();
  // What the socket's kernel buffers took (a few seconds of 16 kHz stereo) is not counted.
  t.ok(held >= 2 && held <= 10, `10 s pushed to a stopped lame: ${held.toFixed(1)} s counted as waiting`);

  resume();
  await until('the backlog drained', () => encoders.maxBacklogSec() === 0, 10_000);
  t.pass('lame running again: the backlog drains to 0');
  await new Promise((r) => setTimeout(r, 100)); // the emptied file's deletion is asynchronous
  t.same(spillFiles(path), [], 'nothing left waiting on disk');
  const done = await sink.close();
  t.equal(done?.frames, 21 * BATCH * 2, 'every batch reached the encoder (frames at 16 kHz)');
  const dec = decodeBody(readFileSync(path), 'mp3');
  t.ok(Math.abs(dec.durationSec - 10.5) < 0.2, `the file holds the 10.5 s: ${dec.durationSec.toFixed(2)} s`);
  t.equal(encoders.maxBacklogSec(), 0, 'a closed recording is no longer watched');
});

t.test('a long stall: past the memory allowance the audio waits sealed on disk and comes back whole, in order', async (t) => {
  const { encoders, path, sink, resume } = await stoppableRecording(t, 'spilled.mp3', { spillAfterSec: 1 });
  // 30 s, each batch louder than the one before, so order and completeness show in the file.
  const level = (i: number): number => 1000 + 400 * i;
  const batches = 60;
  for (let i = 0; i < batches; i++) sink.write([tone(BATCH, 1000, level(i)), tone(BATCH, 400, level(i))]);
  await new Promise((r) => setTimeout(r, 300));
  t.ok(encoders.maxBacklogSec() >= 20, `30 s pushed to a stopped lame: ${encoders.maxBacklogSec().toFixed(1)} s waiting`);
  t.ok(encoders.maxHeldSec() <= 1.5, `of which ${encoders.maxHeldSec().toFixed(1)} s in memory (allowance 1 s + one batch)`);
  await new Promise((r) => setTimeout(r, 200)); // the writes are asynchronous
  const [spill] = spillFiles(path);
  t.ok(spill !== undefined, 'the rest waits in the spill file beside the recording');
  t.equal(statSync(spill).mode & 0o777, 0o600, 'readable by the service\'s user only');
  const onDisk = readFileSync(spill);
  t.ok(onDisk.length >= 18 * BATCH * 2 * 2, `${(onDisk.length / 1024).toFixed(0)} KiB spilled`);
  // A stretch of the last batch's PCM, as the recording handed it over: not found in the file.
  const last = tone(BATCH, 1000, level(batches - 1));
  const clear = Buffer.from(last.buffer, 400, 256);
  t.equal(onDisk.indexOf(clear), -1, 'the spilled audio is not on disk in clear');

  resume();
  await until('the backlog drained', () => encoders.maxBacklogSec() === 0, 20_000);
  await new Promise((r) => setTimeout(r, 100)); // the emptied file's deletion is asynchronous
  t.same(spillFiles(path), [], 'drained: the spill file is gone');
  const done = await sink.close();
  t.equal(done?.frames, (batches + 1) * BATCH * 2, 'every batch reached the encoder (frames at 16 kHz)');
  const dec = decodeBody(readFileSync(path), 'mp3');
  t.ok(Math.abs(dec.durationSec - 30.5) < 0.2, `the file holds the 30.5 s: ${dec.durationSec.toFixed(2)} s`);
  // Each 500 ms (8000 frames at 16 kHz) louder than the last on both channels: none missing,
  // none out of place (the first, written before the stall, is the 8000-amplitude one).
  const step = 8000;
  let rising = 0;
  for (let i = 2; i < batches; i++) {
    const a = i * step + 2000;
    const b = (i + 1) * step + 2000;
    if (rms(dec.ch[0], b, b + 4000) > rms(dec.ch[0], a, a + 4000) && rms(dec.ch[1], b, b + 4000) > rms(dec.ch[1], a, a + 4000)) rising++;
  }
  t.equal(rising, batches - 2, 'every spilled batch is in its place');
});

t.test('a hung lame: killed after the stall limit, its recording fails instead of waiting forever', async (t) => {
  const { sink, lame, path } = await stoppableRecording(t, 'hung.mp3', { stallSec: 1 });
  for (let i = 0; i < 20; i++) sink.write([tone(BATCH, 1000), tone(BATCH, 400)]);
  const t0 = Date.now();
  await t.rejects(sink.close(), /lame took no audio for 1 s: killed as hung/, 'the recording fails, naming the stall');
  const waited = Date.now() - t0;
  t.ok(waited < 10_000, `it did not wait forever (${waited} ms)`);
  await until('lame gone', () => {
    try {
      process.kill(lame, 0);
      return execFileSync('ps', ['-o', 'stat=', '-p', String(lame)]).toString().trim().startsWith('Z');
    } catch {
      return true;
    }
  }, 5000);
  t.pass('the hung lame was killed');
  t.same(spillFiles(path), [], 'nothing left waiting on disk');
});

t.test('lame killed mid-recording: the recording fails at once, not after the stall limit', async (t) => {
  // A stall limit far longer than the test: only lame's exit can end the waiting write.
  const { sink, lame, encoders } = await stoppableRecording(t, 'killed.mp3', { stallSec: 60 });
  for (let i = 0; i < 20; i++) sink.write([tone(BATCH, 1000), tone(BATCH, 400)]);
  await until('a write waiting for the stopped lame', () => encoders.maxBacklogSec() > 1, 5000);
  const t0 = Date.now();
  process.kill(lame, 'SIGKILL');
  const err = await sink.close().then(() => null, (e: Error & { code?: string }) => e);
  t.equal(err?.code, 'RECORDER_ENCODER_FAILED', 'the recording failed');
  // Which words depends on whether lame's exit or the socket's error is seen first.
  t.match(err?.message, /lame (exited before its input ended|failed|exited with)/, `naming lame: ${err?.message}`);
  const waited = Date.now() - t0;
  t.ok(waited < 10_000, `it failed on lame's exit (${waited} ms), not on the 60 s stall limit`);
});
