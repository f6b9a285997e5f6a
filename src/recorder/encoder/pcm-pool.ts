/**
 * PCM arrays reused within a thread: the recordings' 500 ms batches and the rendered audio
 * handed to lame. Allocated anew, they were about 100 KB per second per recording of
 * ArrayBuffers (off the V8 heap, zeroed at allocation, freed by the garbage collector's
 * background threads), and V8's helper threads took about half the CPU of the service's main
 * thread at 200 calls (bench:recordings, per-thread CPU from /proc: 480 ticks against 861 main
 * and 887 recorder thread over the step's first 55 s). An array is taken, owned by one
 * holder at a time, and given back by the last one once nothing refers to it any more (a
 * pending socket write included); one never given back is simply collected.
 */

/** Arrays kept per length: more than the recordings of a thread need at once in steady state. */
const KEEP_PER_LENGTH = 64;

const free = new Map<number, Int16Array[]>();

/** An array of exactly `length` samples, contents undefined (the taker overwrites it). */
export function takePcm(length: number): Int16Array {
  return free.get(length)?.pop() ?? new Int16Array(length);
}

/**
 * Back to the pool. Only whole arrays: a view (a short last batch, or a leg of a packed
 * message) shares its buffer with something else, so it is left to the collector.
 */
export function givePcm(a: Int16Array): void {
  if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || a.length === 0) return;
  let list = free.get(a.length);
  if (list === undefined) free.set(a.length, (list = []));
  if (list.length < KEEP_PER_LENGTH) list.push(a);
}

/** Arrays waiting in the pool (tests). */
export function pooledPcm(): number {
  let n = 0;
  for (const list of free.values()) n += list.length;
  return n;
}
