/**
 * The calling thread's live memory: V8 heap in use plus external (Buffers, typed arrays); in a
 * worker, process.memoryUsage() counts that thread's isolate. With `collect` and --expose-gc, after three
 * full collections 50 ms apart: V8 frees ArrayBuffer backing stores concurrently, after the
 * collection returns, so a single gc() right before reading still counts freed buffers.
 */
export async function liveBytes(collect = true): Promise<number> {
  const gc = collect ? (globalThis as { gc?: () => void }).gc : undefined;
  for (let i = 0; gc !== undefined && i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const mem = process.memoryUsage();
  return mem.heapUsed + mem.external;
}
