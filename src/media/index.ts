import type { Logger } from 'pino';
import type { FrozenConfig } from '../config';
import { MediaServer } from './media-server';
import { RtpengineProcess } from './rtpengine-process';

export { MediaServer } from './media-server';
export { RtpengineProcess, ProcessState } from './rtpengine-process';
export { CallMedia, CallMediaState, ForkSubscription, type ForkStream, type ForkTarget, type Side, type PartyStats } from './call-media';
export { NgClient, type NgTarget } from './ng/ng-client';
export * from './errors';
export * from './ng/types';
export { toneWav } from './tone';
export * from './sdp/sdp';
export * from './sdp/recorder-answer';

/** Mutable (tests) and frozen (loadConfig) sections are both accepted. */
type ReadonlyMediaConfig = FrozenConfig['media'];

export interface Media {
  server: MediaServer;
  /** Present in mode 'local'. */
  process?: RtpengineProcess;
  close(): Promise<void>;
}

/**
 * Builds the media part from config: mode 'local' starts a supervised rtpengine and wires its
 * deaths to `server.markLost` (every call it anchored is gone and gets a 'failed' event);
 * mode 'external' uses the listed instances.
 */
export async function startMedia(cfg: ReadonlyMediaConfig, log: Logger): Promise<Media> {
  if (cfg.mode === 'external') {
    const server = new MediaServer(cfg.external, cfg.commandTimeoutMs, log.child({ part: 'media' }));
    if (cfg.healthCheckMs > 0) server.monitor(cfg.healthCheckMs);
    return { server, close: async () => server.close() };
  }
  const proc = new RtpengineProcess(cfg.local, log.child({ part: 'rtpengine' }));
  await proc.start();
  const server = new MediaServer([proc.ngTarget], cfg.commandTimeoutMs, log.child({ part: 'media' }));
  proc.on('exit', () => server.markLost(proc.ngTarget));
  let closing: Promise<void> | undefined;
  return {
    server,
    process: proc,
    close: () => {
      closing ??= (async () => {
        server.close();
        await proc.close();
      })();
      return closing;
    },
  };
}
