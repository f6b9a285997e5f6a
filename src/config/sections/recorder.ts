import { Type, type Static } from '@sinclair/typebox';

/** The built-in recorder (RTP in, WAV/MP3 spool files out). Per-recording settings come from policy. */
export const RecorderSection = Type.Object({
  /** Where finished and in-progress recordings are written before delivery picks them up. */
  spoolDir: Type.String({ minLength: 1, default: 'spool/recordings' }),
  /** Address the per-leg RTP sockets bind to (rtpengine sends the subscribed streams here). */
  bindHost: Type.String({ default: '127.0.0.1' }),
  /** Port range for the RTP sockets; 0/0 lets the OS choose. */
  portMin: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  portMax: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  /**
   * How the RTP sockets are read: 'batched' (a small Node-API addon built by `npm run build`:
   * every socket of a recorder thread in one epoll set, drained each 100 ms tick with recvmmsg,
   * kernel arrival times), 'dgram' (node:dgram, a JS callback per datagram, about 10 us of CPU
   * each), or 'auto': batched where the addon was built, else dgram with a warning at start.
   */
  receive: Type.Union([Type.Literal('auto'), Type.Literal('batched'), Type.Literal('dgram')], { default: 'auto' }),
  /**
   * Reordering window and playout delay of the jitter buffer, in milliseconds. A recorder has no
   * listener waiting, so the delay only has to outlast the worst stall of this process's event
   * loop under load (GC, CPU contention; lame is no longer forked from it): a packet read after its time was
   * written as silence is lost from the file. 500 ms costs 8192 samples of ring per leg.
   */
  jitterMs: Type.Integer({ minimum: 20, maximum: 2000, default: 500 }),
  /**
   * Overload guard: when a recorder thread's run starts this many ms late (its event loop held
   * by CPU contention or a stall), the service answers new INVITEs and OPTIONS 503 with
   * Retry-After, so an edge proxy sends calls elsewhere, until every thread has kept time
   * (under half of it) for overloadClearSec. The lateness grows with the machine's load and,
   * past its ceiling, turned into stalls of seconds that cost every recording packets
   * (bench:recordings). 'auto' = jitterMs with batched receive (datagrams wait in their
   * sockets and keep their arrival time), half of it with dgram (a datagram read after its
   * time is lost); 0 = never refuse calls for this.
   */
  overloadLagMs: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 0, maximum: 10000 })], { default: 'auto' }),
  /**
   * Overload guard, second sign: this many seconds of one recording's audio waiting for its
   * encoder (lame runs niced, so it starves first when CPU runs out; the backlog is held in
   * memory). Recorder threads only (not with threads 0); 0 = not watched.
   */
  overloadBacklogSec: Type.Number({ minimum: 0, maximum: 600, default: 2 }),
  overloadClearSec: Type.Integer({ minimum: 1, maximum: 600, default: 10 }),
  /**
   * Recorder worker threads: whole recording sessions (RTP sockets, jitter buffers, resampling,
   * encoders) run there, spread over the threads, so the signalling thread carries no media.
   * 'auto' = cores - 1, at least 1, at most 4; 0 = sessions on the signalling thread with the
   * encoder pool below.
   */
  threads: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 0, maximum: 64 })], { default: 'auto' }),
  /** Encoder worker threads when recorder.threads is 0 (resampling, mixing and encoding run there). 0 = cores - 1, at least 1. */
  encoderWorkers: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
  /** MP3 encoder: the native lame CLI (chosen by `npm run bench:encode`) or LAME in WebAssembly. */
  mp3Encoder: Type.Union([Type.Literal('lame-cli'), Type.Literal('wasm')], { default: 'lame-cli' }),
  /** Path of the lame binary for mp3Encoder = lame-cli. */
  lamePath: Type.String({ default: 'lame' }),
  /**
   * LAME algorithm quality for lame-cli (0 best/slowest .. 9 fastest). 7 roughly doubles the
   * encoder's speed over LAME's default and is transparent for G.711-sourced speech.
   */
  mp3Quality: Type.Integer({ minimum: 0, maximum: 9, default: 7 }),
  /**
   * How each lame process yields the CPU: `idle` (Linux's SCHED_IDLE, through util-linux's
   * `chrt`; niceness 19 where there is no chrt) or a niceness (0 = as the service, 19 = lowest).
   * Encoding can lag behind without losing anything (it reads a socket, then a spill file),
   * while RTP reception cannot; hundreds of niced lames together still outweigh the recorder
   * thread (src/recorder/spawner/priority.ts).
   */
  encoderNice: Type.Union([Type.Literal('idle'), Type.Integer({ minimum: 0, maximum: 19 })], { default: 'idle' }),
  /** Constant MP3 bitrate in kbps; 0 = chosen from sample rate and channels. */
  mp3BitrateKbps: Type.Integer({ minimum: 0, maximum: 320, default: 0 }),
}, { default: {} });

export type RecorderConfig = Static<typeof RecorderSection>;
