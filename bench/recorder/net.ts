/**
 * The stages of bench:recorder-stages that need the kernel or another process: UDP receive on
 * loopback, lame (CLI, with its own file writes), the WAV writer, and a whole-pipeline run of
 * real RecordingSessions fed by a sender process in real time.
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { lameArgs } from '../../src/recorder/encoder/mp3-lame-cli';
import { mp3BitrateKbps } from '../../src/recorder/mp3-params';
import { WavFileWriter } from '../../src/recorder/encoder/wav';
import { EncoderPool } from '../../src/recorder/encoder/pool';
import { RecordingSession } from '../../src/recorder/session';
import type { RtpSockets } from '../../src/recorder/udp/sockets';
import { cpuMicros, childCpuSec, legAudio, nsPer, PPS } from './measure';

export function runSender(ports: readonly number[], seconds: number, rate = PPS): Promise<number> {
  const child = fork(join(__dirname, 'sender.js'), [], { stdio: 'inherit' });
  child.send({ ports, seconds, rate });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sender timed out')), (seconds + 20) * 1000);
    child.once('message', (m: { sent: number }) => {
      clearTimeout(timer);
      resolve(m.sent);
    });
    child.once('error', reject);
  });
}

/**
 * CPU ns per datagram received through a receive adapter over loopback: `calls` calls' worth of
 * sockets (two per call) at 50 packets/s each for `seconds`, paced by the sender process; the
 * handler only counts. node:dgram: a 'message' event and Buffer per datagram; batched: the
 * shared ticker's drains (epoll + recvmmsg). Includes the thread's idle wake-ups.
 */
export async function socketReceiveNs(calls: number, seconds: number, sockets: RtpSockets): Promise<{ ns: number; received: number; sent: number }> {
  let received = 0;
  const socks = await Promise.all(Array.from({ length: 2 * calls }, () => sockets.bind('127.0.0.1', 0, () => {
    received++;
  }, (err) => console.error(err))));
  const t0 = cpuMicros();
  const sent = await runSender(socks.map((s) => s.port), seconds);
  const us = cpuMicros() - t0;
  for (const s of socks) s.close();
  return { ns: (us * 1000) / Math.max(1, received), received, sent };
}

/**
 * lame CLI at the recorder's settings on `seconds` of two-leg audio: the child's CPU (encoding
 * and its own file writes) and the parent's cost of writing the pipe, in us per call-second.
 */
export async function lameUs(rate: 16000 | 8000, channels: 1 | 2, seconds: number): Promise<{ lame: number; pipe: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-stages-'));
  try {
    const n = rate * seconds;
    const legs = [legAudio(1000, n), legAudio(400, n, 777)];
    const inter = new Int16Array(n * channels);
    for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) inter[i * channels + c] = legs[c][i];
    const before = childCpuSec();
    const child = spawn('lame', lameArgs(rate, channels, mp3BitrateKbps(rate, channels), 7, join(dir, 'out.mp3')), { stdio: ['pipe', 'ignore', 'inherit'] });
    const done = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? -1));
    });
    const buf = Buffer.from(inter.buffer, inter.byteOffset, inter.byteLength);
    const chunk = rate * 0.5 * channels * 2; // the recorder's 500 ms batch
    // The pipe's cost is the write calls only: the recorder writes one batch per 500 ms into a
    // pipe lame has emptied meanwhile, where this loop outruns lame and would time the waits.
    let pipe = 0;
    for (let i = 0; i < buf.length; i += chunk) {
      const t0 = cpuMicros();
      const ok = child.stdin.write(buf.subarray(i, i + chunk));
      pipe += cpuMicros() - t0;
      if (!ok) await new Promise((r) => child.stdin.once('drain', r));
    }
    child.stdin.end();
    const code = await done;
    if (code !== 0) throw new Error(`lame exited ${code}`);
    return { lame: ((childCpuSec() - before) * 1e6) / seconds, pipe: pipe / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** WavFileWriter.write of 500 ms batches (the WAV path's file writes), us per call-second. */
export function wavWriteUs(rate: 16000 | 8000, channels: 1 | 2): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-stages-'));
  try {
    const w = new WavFileWriter(join(dir, 'out.wav'), rate, channels);
    const batch = legAudio(1000, (rate / 2) * channels);
    const ns = nsPer(1, () => w.write(batch));
    void w.close();
    return (ns * 2) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WARMUP_SEC = 2;

export interface PipelineResult {
  readonly calls: number;
  readonly seconds: number;
  /** This process (RTP path, encoder worker: resample, mix, pipe to lame), % of a core per call. */
  readonly servicePct: number;
  readonly lamePct: number;
  readonly lost: number;
  readonly late: number;
  readonly received: number;
  readonly sent: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Garbage collections of the main thread (where the RTP path runs) per 1000 packets received. */
  readonly gcPer1000: number;
}

/**
 * Whole pipeline: `calls` real RecordingSessions (two legs, sockets on loopback, jitter 500 ms,
 * EncoderPool with one worker, lame at -q 7) recording MP3 at `rate`, fed in real time by the
 * sender process for a 2 s warm-up plus `seconds`. CPU of this process in the `seconds` (main + encoder worker; lame excluded) and
 * of lame, per call, and the event loop's lag.
 */
export async function wholePipeline(calls: number, seconds: number, rate: 16000 | 8000, channels: 'stereo' | 'mono'): Promise<PipelineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  const pool = new EncoderPool(1);
  try {
    const sessions = Array.from({ length: calls }, (_, i) => new RecordingSession({ callId: `bench-${i}`, pool, spoolDir: dir }));
    const ports: number[] = [];
    for (const s of sessions) for (const e of await s.start()) ports.push(e.port);
    for (const s of sessions) s.record({ format: 'mp3', sampleRate: rate, channels, timeLimitSec: 3600, minSec: 0, encoderNice: 'idle' }).begin();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const lame0 = childCpuSec();
    const sending = runSender(ports, seconds + WARMUP_SEC);
    // Steady state only: the first seconds carry the sessions' set-up (lame's fork and exec).
    await new Promise((r) => setTimeout(r, WARMUP_SEC * 1000));
    lag.reset();
    let gcs = 0;
    const gcObserver = new PerformanceObserver((list) => {
      gcs += list.getEntries().length;
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    const t0 = cpuMicros();
    const w0 = performance.now();
    const sent = await sending;
    const us = cpuMicros() - t0;
    const measuredSec = (performance.now() - w0) / 1000;
    lag.disable();
    await new Promise((r) => setTimeout(r, 100)); // the observer's last entries arrive asynchronously
    gcObserver.disconnect();
    // Let the last 500 ms of jitter delay drain before closing, as a call outlives its media.
    await new Promise((r) => setTimeout(r, 700));
    const results = (await Promise.all(sessions.map((s) => s.close('hangup')))).flat();
    const callSec = calls * measuredSec;
    return {
      calls,
      seconds: measuredSec,
      servicePct: us / 1e4 / callSec,
      // lame's CPU is known once it is reaped: start-up and the whole run, over the whole run.
      lamePct: ((childCpuSec() - lame0) * 100) / (calls * (seconds + WARMUP_SEC)),
      lost: results.reduce((s, r) => s + r.packetsLost, 0),
      late: results.reduce((s, r) => s + r.packetsLate, 0),
      received: results.reduce((s, r) => s + r.packetsReceived, 0),
      sent,
      lagP99Ms: lag.percentile(99) / 1e6,
      lagMaxMs: lag.max / 1e6,
      gcPer1000: (gcs * 1000) / (calls * 2 * PPS * measuredSec),
    };
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function pipelineLine(label: string, p: PipelineResult): string {
  return `${label}: ${p.calls} calls x ${p.seconds.toFixed(1)} s: service ${p.servicePct.toFixed(4)}% of a core per call (main + encoder worker, lame excluded), lame ${p.lamePct.toFixed(4)}%; main-thread GCs per 1000 packets ${p.gcPer1000.toFixed(2)}; RTP sent ${p.sent} received ${p.received} lost ${p.lost} late ${p.late}; loop lag p99 ${p.lagP99Ms.toFixed(1)} ms max ${p.lagMaxMs.toFixed(1)} ms`;
}

/** Both whole-pipeline cases; also run alone against another build (bench/recorder/pipeline.ts). */
export async function pipelines(calls: number, seconds: number): Promise<void> {
  console.log(pipelineLine('whole pipeline 16 kHz stereo MP3', await wholePipeline(calls, seconds, 16000, 'stereo')));
  console.log(pipelineLine('whole pipeline  8 kHz mono   MP3', await wholePipeline(calls, seconds, 8000, 'mono')));
}
