/**
 * MP3 encoder benchmark (issue 5 item 6a): the candidates in one run, at 16 kHz stereo and
 * 8 kHz mono, in x realtime per core (seconds of audio encoded per CPU second).
 *   npm run bench:encode            (BENCH_SECONDS=60 by default)
 * In-process candidates are timed by process.cpuUsage(); the lame CLI by the CPU time of the
 * reaped child (/proc/self/stat cutime+cstime) plus the parent's cost of feeding the pipe.
 */
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMp3Encoder } from 'wasm-media-encoders';
import { mp3BitrateKbps, type Mp3SampleRate } from '../src/recorder/mp3-params';
import { Renderer } from '../src/recorder/encoder/render';
import { lameArgs } from '../src/recorder/encoder/mp3-lame-cli';

interface Case {
  readonly rate: Mp3SampleRate;
  readonly channels: 1 | 2;
}
interface Result {
  readonly encoder: string;
  readonly cpuSec: number;
  readonly bytes: number;
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
/** The quality the recorder passes to lame (config recorder.mp3Quality default). */
const RECORDER_LAME_QUALITY = 7;
const CHUNK_SEC = 0.1;

/** Call-like test signal: a tone per channel plus low-level noise, deterministic. */
function signal(c: Case): Int16Array[] {
  const n = c.rate * SECONDS;
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) - 0.5;
  return Array.from({ length: c.channels }, (_, ch) => {
    const f = ch === 0 ? 1000 : 400;
    const x = new Int16Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.round(8000 * Math.sin((2 * Math.PI * f * i) / c.rate) + 1500 * rnd());
    return x;
  });
}

function chunks<T>(total: number, size: number, fn: (from: number, to: number) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < total; i += size) out.push(fn(i, Math.min(total, i + size)));
  return out;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

async function wasm(c: Case, pcm: Int16Array[]): Promise<Result> {
  const enc = await createMp3Encoder();
  const floats = pcm.map((ch) => Float32Array.from(ch, (v) => v / 32768));
  const t0 = process.cpuUsage();
  enc.configure({ sampleRate: c.rate, channels: c.channels, bitrate: mp3BitrateKbps(c.rate, c.channels) as 16 });
  let bytes = 0;
  for (const [a, b] of chunks(floats[0].length, c.rate * CHUNK_SEC, (a, b) => [a, b] as const)) {
    bytes += enc.encode(floats.map((f) => f.subarray(a, b))).length;
  }
  bytes += enc.finalize().length;
  return { encoder: 'wasm-media-encoders (LAME/wasm)', cpuSec: cpuSince(t0), bytes };
}

interface LameJs {
  Mp3Encoder: new (channels: number, rate: number, kbps: number) => { encodeBuffer(l: Int16Array, r?: Int16Array): Uint8Array; flush(): Uint8Array };
}

// The package's CommonJS entry is an IIFE that exports nothing; load its ES module instead.
const esmImport = new Function('s', 'return import(s)') as (s: string) => Promise<LameJs>;

async function lamejs(c: Case, pcm: Int16Array[]): Promise<Result> {
  const mod = await esmImport('@breezystack/lamejs');
  const t0 = process.cpuUsage();
  const enc = new mod.Mp3Encoder(c.channels, c.rate, mp3BitrateKbps(c.rate, c.channels));
  let bytes = 0;
  // lamejs wants multiples of 1152 samples per call for efficiency.
  for (const [a, b] of chunks(pcm[0].length, 1152 * 4, (a, b) => [a, b] as const)) {
    bytes += c.channels === 2 ? enc.encodeBuffer(pcm[0].subarray(a, b), pcm[1].subarray(a, b)).length : enc.encodeBuffer(pcm[0].subarray(a, b)).length;
  }
  bytes += enc.flush().length;
  return { encoder: '@breezystack/lamejs (pure JS)', cpuSec: cpuSince(t0), bytes };
}

function childCpuSec(): number {
  // Fields 16 and 17 of /proc/self/stat: cutime and cstime of reaped children, in clock ticks.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

async function lameCli(c: Case, pcm: Int16Array[], dir: string, quality?: number): Promise<Result> {
  const out = join(dir, `cli-${c.rate}-${c.channels}-${quality ?? 'default'}.mp3`);
  const interleaved = new Int16Array(pcm[0].length * c.channels);
  for (let i = 0; i < pcm[0].length; i++) for (let ch = 0; ch < c.channels; ch++) interleaved[i * c.channels + ch] = pcm[ch][i];
  const before = childCpuSec();
  const t0 = process.cpuUsage();
  const args = lameArgs(c.rate, c.channels, mp3BitrateKbps(c.rate, c.channels), quality, out);
  const child = spawn('lame', args, { stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  const bytesPerChunk = c.rate * CHUNK_SEC * c.channels * 2;
  const buf = Buffer.from(interleaved.buffer, interleaved.byteOffset, interleaved.byteLength);
  for (let i = 0; i < buf.length; i += bytesPerChunk) {
    if (!child.stdin.write(buf.subarray(i, i + bytesPerChunk))) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`lame exited ${code}`);
  const parent = cpuSince(t0);
  return { encoder: `lame CLI (native, pipe${quality === undefined ? '' : `, -q ${quality}`})`, cpuSec: childCpuSec() - before + parent, bytes: statSync(out).size };
}

/** Cost of the worker's resample + mix stage, which runs before every encoder. */
function renderX(c: Case): number {
  const r = new Renderer(2, c.rate, c.channels === 2 ? 'stereo' : 'mono');
  const leg = new Int16Array(160);
  for (let i = 0; i < 160; i++) leg[i] = Math.round(8000 * Math.sin((2 * Math.PI * i) / 8));
  const t0 = process.cpuUsage();
  for (let k = 0; k < SECONDS * 50; k++) r.render([leg, leg]);
  return SECONDS / cpuSince(t0);
}

async function main(): Promise<void> {
  const cases: Case[] = [{ rate: 16000, channels: 2 }, { rate: 8000, channels: 1 }];
  const dir = mkdtempSync(join(tmpdir(), 'bench-encode-'));
  const rows: string[] = [];
  const best: Record<string, number> = {};
  try {
    for (const c of cases) {
      const pcm = signal(c);
      const label = `${c.rate / 1000} kHz ${c.channels === 2 ? 'stereo' : 'mono'} @ ${mp3BitrateKbps(c.rate, c.channels)} kbps`;
      for (const run of [wasm, lamejs, (cc: Case, p: Int16Array[]) => lameCli(cc, p, dir), (cc: Case, p: Int16Array[]) => lameCli(cc, p, dir, RECORDER_LAME_QUALITY)]) {
        const r = await run(c, pcm);
        const x = SECONDS / r.cpuSec;
        rows.push(`${label.padEnd(28)} ${r.encoder.padEnd(34)} ${x.toFixed(0).padStart(6)}x realtime/core  (${r.cpuSec.toFixed(2)} s CPU, ${(r.bytes / 1024).toFixed(0)} KiB)`);
        best[`${label}|${r.encoder}`] = x;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`MP3 encoders, ${SECONDS} s of audio each, CBR, one run:`);
  for (const r of rows) console.log(r);
  console.log('recorder RTP path and DSP stage by stage, before/after: npm run bench:recorder-stages');
  console.log(`recorder DSP before the encoder (two 8 kHz legs, 20 ms chunks): resample+interleave`);
  for (const c of cases) console.log(`  -> ${c.rate / 1000} kHz ${c.channels === 2 ? 'stereo' : 'mono'}: ${renderX(c).toFixed(0)}x realtime/core`);
  const goal = Object.entries(best).filter(([k]) => k.startsWith('16 kHz stereo'));
  for (const [k, x] of goal) console.log(`goal >= 250x at 16 kHz stereo: ${k.split('|')[1]} ${x >= 250 ? 'meets' : 'misses'} it (${x.toFixed(0)}x)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
