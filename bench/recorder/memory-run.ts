/**
 * The memory part of bench:recorder-stages alone (node --expose-gc dist/bench/recorder/memory-run.js;
 * BENCH_CALLS, BENCH_SECONDS). Like pipeline.ts it uses RecordingSession's public API only, so
 * it also runs against an older build (copy dist/bench/recorder/ and
 * dist/src/recorder/remote/live-bytes.js into that build's dist) for a before/after.
 */
import { memoryLine, sessionMemory } from './memory';

sessionMemory(Number(process.env.BENCH_CALLS ?? 40), Number(process.env.BENCH_SECONDS ?? 5)).then(
  (m) => {
    console.log(memoryLine(m));
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
