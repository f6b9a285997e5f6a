import { setFlagsFromString } from 'node:v8';

/**
 * The main isolate runs with a small young generation: `npm start` passes
 * `--max-semi-space-size=4` (4 MB semi-spaces instead of V8's 16). With 16, V8 started the main
 * isolate's incremental marking as soon as the last full collection ended whenever the old
 * generation's headroom was below the young generation's capacity, which the service's
 * long-lived call state kept it at: 53-58 full collections in a 250-call bench:recordings step
 * against 13-17 with 4 MB, and V8's helper threads, which do that marking, 0.032-0.040% of a
 * core per call against 0.022-0.029% (README, measurements).
 *
 * The flag is process-wide, but the recorder threads do better with V8's default (with 4 MB
 * their scavenges tripled and the step's recordings lost packets in four runs of four), and a
 * Worker's resourceLimits do not override it. V8 reads it when an isolate is created, so once
 * the main isolate exists the flag goes back to V8's default (0) for every isolate created
 * after it. Called first thing by the entry point; test/unit/service/young-generation.test.ts
 * checks both isolates' new space on this Node.
 */
export function youngGenerationForWorkers(): void {
  setFlagsFromString('--max-semi-space-size=0');
}
