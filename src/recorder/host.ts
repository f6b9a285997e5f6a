import type { Logger } from 'pino';
import type { RecorderConfig } from '../config/sections/recorder';
import type { SpoolKey } from '../atrest/keyring';
import type { HostSessionOptions, RecorderHost } from './contract';
import { RecordingSession } from './session';
import { EncoderPool } from './encoder/pool';
import { RecorderThreads } from './remote/remote-session';
import { encoderWorkersFrom, overloadFrom, recorderThreadsFrom } from './from-config';
import { LameSpawner } from './spawner/helper';
import { priorityFallback } from './spawner/priority';
import { batchedUnavailable, rtpSockets } from './udp/sockets';
import { nativeHalfBand } from './halfband';
import { sweepSpillFiles } from './encoder/spill';
import { LOAD_REPORT_MS, noteLoad, OverloadGuard, type OverloadSettings } from './overload';
import { reportLateness, sharedTicker } from './ticker';

/** Sessions on the calling thread, encoding in an EncoderPool (recorder.threads = 0). */
export class InThreadHost implements RecorderHost {
  private readonly guard: OverloadGuard;
  private readonly stopReports: () => void;

  constructor(readonly pool: EncoderPool, readonly spawner?: LameSpawner, overload: OverloadSettings = { lagMs: 0, backlogMs: 0, clearSec: 0 }, logger?: Logger) {
    this.guard = new OverloadGuard(overload);
    const log = logger ?? { warn: () => undefined, info: () => undefined };
    // Lateness only: the encoders run in the pool's workers here, whose backlog is not reported.
    this.stopReports = reportLateness(sharedTicker, LOAD_REPORT_MS, (lateMs) => noteLoad(this.guard, { lateMs, backlogMs: 0 }, performance.now(), log));
  }

  get overloaded(): boolean {
    return this.guard.raised;
  }

  async ready(): Promise<void> {
    await this.spawner?.ready;
  }

  session(opts: HostSessionOptions): RecordingSession {
    return new RecordingSession({ ...opts, pool: this.pool });
  }

  async close(): Promise<void> {
    this.stopReports();
    await this.pool.close();
    this.spawner?.close();
  }
}

/**
 * The one place recorder sessions come from: recorder worker threads (`recorder.threads`, by
 * default), or this thread with an encoder pool when it is 0. With the lame CLI, one small
 * helper process (LameSpawner) starts every encoder. `encryption`: every file is sealed
 * with this key as it is written (encryption at rest).
 */
export function recorderHostFrom(cfg: Readonly<RecorderConfig>, encryption?: SpoolKey, logger?: Logger): RecorderHost {
  const threads = recorderThreadsFrom(cfg);
  // Said once at start, not at the first recorded call: rtpSockets throws for 'batched' without its addon.
  const receive = rtpSockets(cfg.receive).kind;
  if (cfg.receive === 'auto' && receive === 'dgram') {
    logger?.warn({ reason: batchedUnavailable() }, 'recorder.receive auto: RTP read with node:dgram (about 10 us of CPU a datagram more)');
  }
  void sweepSpillFiles(cfg.spoolDir).then((swept) => {
    if (swept > 0) logger?.info({ swept, dir: cfg.spoolDir }, 'recorder: deleted the spill files a crash left (sealed with keys that died with it)');
  });
  const upsampler = nativeHalfBand();
  if (upsampler.kernel === null) logger?.warn({ reason: upsampler.error }, 'recorder: 8 -> 16 kHz upsampling in TypeScript (the same output, about 3x the CPU of halfband.c)');
  // Started now, while this process is small: every lame is forked from the helper, not from us.
  const spawner = cfg.mp3Encoder === 'lame-cli' ? new LameSpawner(cfg.lamePath, logger) : undefined;
  const fallback = spawner ? priorityFallback(cfg.encoderNice) : null;
  if (fallback !== null) logger?.warn({ reason: fallback }, 'recorder.encoderNice idle unavailable');
  const overload = overloadFrom(cfg, receive);
  if (threads === 0) {
    const log = logger?.child({ part: 'recorder' });
    return new InThreadHost(new EncoderPool(encoderWorkersFrom(cfg), encryption, spawner?.path, log && ((line) => log.warn(line))), spawner, overload, log);
  }
  return new RecorderThreads(threads, { overload, ...(encryption ? { encryption } : {}), ...(logger ? { logger } : {}), ...(spawner ? { spawner } : {}) });
}
