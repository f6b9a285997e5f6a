/**
 * The whole-pipeline part of bench:recorder-stages alone. It uses only RecordingSession's public
 * API, so the same compiled file also runs against an older build of src/recorder (copy
 * dist/bench/recorder/ into that build's dist/bench/recorder/) for a before/after in one session:
 *   node dist/bench/recorder/pipeline.js      (BENCH_CALLS, BENCH_SECONDS as bench:recorder-stages)
 */
import { pipelines } from './net';

pipelines(Number(process.env.BENCH_CALLS ?? 40), Number(process.env.BENCH_SECONDS ?? 10)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
