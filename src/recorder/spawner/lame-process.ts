import { connect, Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { lines, type FromSpawner, type ToSpawner } from './protocol';
import { spawnAt, type EncoderPriority } from './priority';

/** A started lame: PCM in, MP3 out (when asked for), and how it ended. */
export interface LameProcess {
  readonly input: Writable;
  /** lame's stdout (encrypted output is sealed by the caller); null when lame writes the file itself. */
  readonly output: Readable | null;
  /** Resolves when input may be written; rejects when lame could not be started. */
  readonly ready: Promise<void>;
  /** Exit code; -1 when it could not start or its spawner was lost (see failure()). */
  readonly exited: Promise<number>;
  failure(): Error | null;
  pid(): number | undefined;
}

export interface LameStart {
  readonly bin: string;
  readonly args: readonly string[];
  readonly nice: EncoderPriority;
  readonly stdout: boolean;
  /** The spawner's socket; absent: fork this process (what the service avoids, see README). */
  readonly spawner?: string;
}

export function startLame(o: LameStart): LameProcess {
  return o.spawner === undefined ? forkHere(o) : SpawnerClient.of(o.spawner).start(o);
}

/** lame as a child of this process (tests and tools without a spawner). */
function forkHere(o: LameStart): LameProcess {
  let failure: Error | null = null;
  const child = spawnAt(o.bin, o.args, o.nice, ['pipe', o.stdout ? 'pipe' : 'ignore', 'ignore']);
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      failure = err;
      resolve(-1);
    });
    child.on('close', (code) => resolve(code ?? -1));
  });
  return { input: child.stdin as Writable, output: child.stdout, ready: Promise.resolve(), exited, failure: () => failure, pid: () => child.pid };
}

/** How long an encoder waits for the spawner's socket (it starts with the service, or restarts). */
const CONNECT_TIMEOUT_MS = 5000;
/** How long an encoder waits for its lame to be started (connection included). */
const SPAWN_TIMEOUT_MS = 15_000;

interface Job {
  spawned(pid: number): void;
  exit(code: number): void;
  fail(err: Error): void;
}

/** One control connection per thread and spawner; a data connection per lame. */
class SpawnerClient {
  private static readonly byPath = new Map<string, SpawnerClient>();
  private control: Promise<number> | null = null;
  private controlSock: Socket | null = null;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;

  private constructor(private readonly path: string) {}

  static of(path: string): SpawnerClient {
    let c = SpawnerClient.byPath.get(path);
    if (c === undefined) SpawnerClient.byPath.set(path, (c = new SpawnerClient(path)));
    return c;
  }

  start(o: LameStart): LameProcess {
    const id = this.nextId++;
    const sock = new Socket({ allowHalfOpen: true });
    let failure: Error | null = null;
    let pid: number | undefined;
    let settleReady!: (err?: Error) => void;
    let settleExit!: (code: number) => void;
    const ready = new Promise<void>((res, rej) => { settleReady = (err) => (err ? rej(err) : res()); });
    ready.catch(() => undefined);
    const exited = new Promise<number>((res) => { settleExit = res; });
    const fail = (err: Error): void => {
      clearTimeout(answer);
      failure ??= err;
      this.forget(id);
      settleReady(err);
      settleExit(-1);
      sock.destroy();
    };
    // Timeouts on every network wait: a spawner that takes the request and never answers.
    const answer = setTimeout(() => fail(new Error(`lame spawner did not answer in ${SPAWN_TIMEOUT_MS} ms`)), SPAWN_TIMEOUT_MS);
    this.jobs.set(id, {
      spawned: (p) => { clearTimeout(answer); pid = p; settleReady(); },
      exit: (code) => { this.forget(id); settleExit(code); },
      fail,
    });
    // While a lame runs, its exit report must keep this thread alive.
    this.controlSock?.ref();
    sock.on('error', (err) => fail(err));
    // Plain files: lame writes nothing here, but the end of the stream must be read to close it.
    if (!o.stdout) sock.resume();
    this.connected().then((cid) => {
      sock.connect(this.path, () => {
        const m: ToSpawner = { t: 'data', cid, id, bin: o.bin, args: o.args, nice: o.nice, stdout: o.stdout };
        sock.write(`${JSON.stringify(m)}\n`);
      });
    }, fail);
    return { input: sock, output: o.stdout ? sock : null, ready, exited, failure: () => failure, pid: () => pid };
  }

  private forget(id: number): void {
    if (this.jobs.delete(id) && this.jobs.size === 0) this.controlSock?.unref();
  }

  /** The control connection's id (connecting, with retries while the spawner starts). */
  private connected(): Promise<number> {
    this.control ??= this.openControl().catch((err: Error) => {
      this.control = null;
      throw err;
    });
    return this.control;
  }

  private async openControl(): Promise<number> {
    const until = Date.now() + CONNECT_TIMEOUT_MS;
    for (;;) {
      try {
        return await this.hello();
      } catch (err) {
        if (Date.now() > until) throw new Error(`lame spawner unreachable: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private hello(): Promise<number> {
    return new Promise((resolve, reject) => {
      const sock = connect(this.path);
      let buf = '';
      let cid: number | null = null;
      sock.setEncoding('utf8');
      sock.once('error', reject);
      sock.on('connect', () => sock.write(`${JSON.stringify({ t: 'hello' } satisfies ToSpawner)}\n`));
      sock.on('data', (chunk: string) => {
        buf = lines(buf, chunk, (line) => {
          const m = JSON.parse(line) as FromSpawner;
          if (m.t === 'hello') {
            cid = m.cid;
            this.controlSock = sock;
            sock.on('error', () => undefined); // 'close' follows and says what it means
            // An idle control connection must not keep a thread alive.
            if (this.jobs.size === 0) sock.unref();
            resolve(cid);
            return;
          }
          const job = this.jobs.get(m.id);
          if (m.t === 'spawned') job?.spawned(m.pid);
          else if (m.t === 'exit') job?.exit(m.code);
          else job?.fail(new Error(m.message));
        });
      });
      sock.on('close', () => {
        if (cid === null) {
          reject(new Error('lame spawner closed the connection'));
          return;
        }
        // The spawner died: what it was running is lost to us (no exit code will come).
        this.control = null;
        this.controlSock = null;
        for (const job of [...this.jobs.values()]) job.fail(new Error('lame spawner lost'));
      });
    });
  }
}
