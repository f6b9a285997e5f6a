import type { EncoderPriority } from './priority';

/**
 * The lame spawner's wire protocol: newline-delimited JSON over a Unix socket in an owner-only
 * directory. A control connection (one per client thread) says `hello` and receives `spawned` /
 * `exit` / `error` for its jobs; a data connection per job sends one `data` line, then becomes
 * lame's stdin (and stdout when `stdout`): the spawner hands the socket itself to the child.
 */
export type ToSpawner =
  | { readonly t: 'hello' }
  | {
    readonly t: 'data'; readonly cid: number; readonly id: number;
    readonly bin: string; readonly args: readonly string[]; readonly nice: EncoderPriority;
    /** lame writes its output to this connection (encrypted files are sealed by the client). */
    readonly stdout: boolean;
  };

export type FromSpawner =
  | { readonly t: 'hello'; readonly cid: number }
  | { readonly t: 'spawned'; readonly id: number; readonly pid: number }
  | { readonly t: 'exit'; readonly id: number; readonly code: number }
  | { readonly t: 'error'; readonly id: number; readonly message: string };

/** Splits a stream into lines; returns the unfinished tail. */
export function lines(buf: string, chunk: string, each: (line: string) => void): string {
  let rest = buf + chunk;
  let nl: number;
  while ((nl = rest.indexOf('\n')) >= 0) {
    each(rest.slice(0, nl));
    rest = rest.slice(nl + 1);
  }
  return rest;
}
