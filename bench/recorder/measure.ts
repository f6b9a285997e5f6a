/** Shared measuring helpers of bench:recorder-stages: CPU time per operation, traffic, units. */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { PerformanceObserver } from 'node:perf_hooks';
import { buildRtp } from '../../src/recorder/rtp';
import { packLegs } from '../../src/recorder/encoder/output-job';
import { linearToUlaw } from '../../src/recorder/g711';

/** RTP packets of one leg per second (20 ms ptime) and legs per call. */
export const PPS = 50;
export const LEGS = 2;
/** Per-packet stages run this many times per recorded call-second (both legs). */
export const PACKETS_PER_CALL_SEC = PPS * LEGS;

export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU seconds of this process's reaped children (lame), /proc/self/stat cutime + cstime. */
export function childCpuSec(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

/**
 * CPU nanoseconds per unit of `run` (which does `units` units per call): repeated until 250 ms
 * of CPU, five rounds, the median (the machine is shared, so one round may be preempted).
 */
export function nsPer(units: number, run: () => void): number {
  run(); // warm-up: compile before timing
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    let done = 0;
    const t0 = cpuMicros();
    let t = t0;
    while (t - t0 < 250_000) {
      run();
      done += units;
      t = cpuMicros();
    }
    rounds.push(((t - t0) * 1000) / done);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2];
}

/** Call-like 8 kHz audio of one leg: a tone plus low-level noise, deterministic. */
export function legAudio(freq: number, samples: number, seed0 = 12345): Int16Array {
  let seed = seed0;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) - 0.5;
  const x = new Int16Array(samples);
  for (let i = 0; i < samples; i++) x[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000) + 1500 * rnd());
  return x;
}

/** 20 ms PCMU RTP packets (172 bytes) of legAudio, sequence and timestamps continuous. */
export function legPackets(freq: number, packets: number, ssrc = 0x1234): Buffer[] {
  const pcm = legAudio(freq, packets * 160);
  const out: Buffer[] = [];
  for (let k = 0; k < packets; k++) {
    const payload = new Uint8Array(160);
    for (let i = 0; i < 160; i++) payload[i] = linearToUlaw(pcm[k * 160 + i]);
    out.push(buildRtp({ payloadType: 0, sequenceNumber: (1000 + k) & 0xffff, timestamp: 5000 + k * 160, ssrc, payload }));
  }
  return out;
}

/**
 * Arrival of packet k on the call's clock (8 kHz samples): its send time plus a deterministic
 * network delay of 0-5 ms, like loopback under load.
 */
export function arrival(k: number): number {
  return 1000 + k * 160 + ((k * 7919) % 41);
}

export interface Row {
  readonly stage: string;
  /** Microseconds of CPU per recorded call-second, per case (16 kHz stereo, 8 kHz mono). */
  readonly usPerCallSec: readonly [number, number];
  /** ns per 20 ms packet of one leg, where the stage is per packet. */
  readonly nsPerPacket?: number;
}

/** % of one core per recorded call from microseconds of CPU per call-second. */
export function pctCore(usPerCallSec: number): number {
  return usPerCallSec / 1e4;
}

export function table(title: string, rows: readonly Row[]): string {
  const lines = [title, `${'stage'.padEnd(44)} ${'ns/packet'.padStart(10)} ${'16k stereo us/call-s'.padStart(21)} ${'% core'.padStart(8)} ${'8k mono us/call-s'.padStart(18)} ${'% core'.padStart(8)}`];
  for (const r of rows) {
    lines.push(`${r.stage.padEnd(44)} ${(r.nsPerPacket === undefined ? '' : r.nsPerPacket.toFixed(0)).padStart(10)} ${r.usPerCallSec[0].toFixed(1).padStart(21)} ${pctCore(r.usPerCallSec[0]).toFixed(4).padStart(8)} ${r.usPerCallSec[1].toFixed(1).padStart(18)} ${pctCore(r.usPerCallSec[1]).toFixed(4).padStart(8)}`);
  }
  return lines.join('\n');
}

/** A per-packet stage: the same cost at both rates (both legs are received either way). */
export function packetRow(stage: string, nsPerPacket: number): Row {
  const us = (nsPerPacket * PACKETS_PER_CALL_SEC) / 1000;
  return { stage, nsPerPacket, usPerCallSec: [us, us] };
}

/**
 * The worker hand-off of one 500 ms batch of two legs, main-thread side: packLegs + postMessage
 * with transfer to a worker (encoder/pool.ts; unchanged by issue 14, the same for both columns).
 */
export async function handoffNs(): Promise<number> {
  const worker = new Worker("require('node:worker_threads').parentPort.on('message', () => {})", { eval: true });
  const a = legAudio(1000, 4000);
  const b = legAudio(400, 4000);
  const ns = nsPer(1, () => {
    const pcm = packLegs([a, b]);
    worker.postMessage({ type: 'pcm', id: 1, pcm }, [pcm.buffer as ArrayBuffer]);
  });
  await worker.terminate();
  return ns;
}

/**
 * Garbage collections while `run` runs (the allocation check of issue 14: a path that allocates
 * nothing per packet causes none, whatever the packet count).
 */
export async function gcsDuring(run: () => void): Promise<number> {
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  run();
  // Entries are delivered asynchronously, after the loop has turned.
  await new Promise((r) => setTimeout(r, 100));
  obs.disconnect();
  return gcs;
}

/** Packets the allocation check pushes through the per-packet chain: an hour of one leg. */
export const GC_PACKETS = 180_000;
