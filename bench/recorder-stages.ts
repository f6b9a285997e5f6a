/**
 * `npm run bench:recorder-stages` (issue 14 item 1): the recorder's CPU per recorded call, stage
 * by stage, at 16 kHz stereo and 8 kHz mono, measured. Per-stage microbenchmarks run on realistic
 * 20 ms PCMU packets (CPU time, median of five rounds); socket receive is real UDP over loopback
 * from a sender process; lame is the CLI at the recorder's settings; then a whole-pipeline run of
 * real sessions in real time; then live memory per recording session (heap, after full GCs). Figures: ns per packet (one leg's 20 ms packet), us of CPU per
 * recorded call-second, % of one core per recorded call.
 *   BENCH_CALLS (default 40) calls for the socket and whole-pipeline runs, BENCH_SECONDS (10).
 */
import { legacyStages, legacyChainGcs } from './recorder/stages-legacy';
import { currentStages, currentChainGcs } from './recorder/stages-current';
import { socketReceiveNs, lameUs, wavWriteUs, pipelines } from './recorder/net';
import { packetRow, table, GC_PACKETS, type Row } from './recorder/measure';
import { memoryLine, sessionMemory } from './recorder/memory';
import { dgramSockets, rtpSockets } from '../src/recorder/udp/sockets';

const CALLS = Number(process.env.BENCH_CALLS ?? 40);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

/** Rows in parentheses restate others (a whole made of stages above) and stay out of the sum. */
function sum(rows: readonly Row[]): Row {
  const counted = rows.filter((r) => !r.stage.startsWith('('));
  return { stage: 'sum', usPerCallSec: [counted.reduce((s, r) => s + r.usPerCallSec[0], 0), counted.reduce((s, r) => s + r.usPerCallSec[1], 0)] };
}

async function main(): Promise<void> {
  console.log(`bench:recorder-stages ${new Date().toISOString()} node ${process.version}`);
  const kinds = [dgramSockets, rtpSockets('batched')];
  const recv = new Map<string, number>();
  for (const n of [CALLS, 5 * CALLS]) {
    for (const k of kinds) {
      const s = await socketReceiveNs(n, SECONDS, k);
      if (n === CALLS) recv.set(k.kind, s.ns);
      console.log(`socket receive (${k.kind}), ${n} calls (${n * 100} datagrams/s): ${s.received}/${s.sent} received, ${s.ns.toFixed(0)} ns CPU per datagram`);
    }
  }
  const sockRow = packetRow(`socket receive (node:dgram, ${CALLS} calls)`, recv.get('dgram') ?? 0);
  const batchRow = packetRow(`socket receive (batched: epoll + recvmmsg, ${CALLS} calls)`, recv.get('batched') ?? 0);
  const before = await legacyStages();
  const after = await currentStages();
  const l16 = await lameUs(16000, 2, 60);
  const l8 = await lameUs(8000, 1, 60);
  const pipe: Row = { stage: 'pipe write to lame (worker side)', usPerCallSec: [l16.pipe, l8.pipe] };
  const old = [sockRow, ...before, pipe];
  const now = [batchRow, ...after, pipe];
  console.log(table('\nRTP path + DSP (lame excluded), BEFORE: the stages as of 10f1489 (bench/recorder/legacy, competitor only):', [...old, sum(old)]));
  console.log(table('\nRTP path + DSP (lame excluded), NOW: src/recorder:', [...now, sum(now)]));
  const s0 = sum(old).usPerCallSec;
  const s1 = sum(now).usPerCallSec;
  const x0 = sum(old.slice(1)).usPerCallSec;
  const x1 = sum(now.slice(1)).usPerCallSec;
  console.log(`\nsum now/before: ${(s1[0] / s0[0]).toFixed(2)} (16k stereo), ${(s1[1] / s0[1]).toFixed(2)} (8k mono); without socket receive: ${(x1[0] / x0[0]).toFixed(2)}, ${(x1[1] / x0[1]).toFixed(2)}`);
  console.log(`allocation check, GCs while ${GC_PACKETS} packets (an hour of one leg) go through parse, decode, jitter buffer, aligner, recording batch: before ${await legacyChainGcs()}, now ${await currentChainGcs()} (the 500 ms batches handed to the encoder are the only allocation left)`);
  console.log(table('\nencoder and file writes:', [
    { stage: 'lame -q 7 (CLI, incl. its file writes)', usPerCallSec: [l16.lame, l8.lame] },
    { stage: 'WAV file write (instead of lame)', usPerCallSec: [wavWriteUs(16000, 2), wavWriteUs(8000, 1)] },
  ]));
  console.log('');
  await pipelines(CALLS, SECONDS);
  console.log(memoryLine(await sessionMemory(CALLS, 5)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
