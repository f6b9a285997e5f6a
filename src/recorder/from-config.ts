import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { RecorderConfig } from '../config/sections/recorder';
import type { RecordingSettings } from './recording';
import type { HostSessionOptions } from './contract';
import type { OverloadSettings } from './overload';

/**
 * The policy's resolved settings as the recorder reads them (structurally the policy part's
 * ResolvedRecordingSettings, so the recorder does not depend on that part).
 */
export interface ResolvedSettingsInput {
  readonly format: 'mp3' | 'wav';
  readonly stereo: boolean;
  readonly record_sample_rate: number;
  readonly time_limit: number;
  readonly record_min_sec: number;
  /** File name with extension (media_name); absent: the session names the file. */
  readonly media_name?: string;
}

/** Recording settings for session.record(): policy settings plus the recorder's static config. */
export function recordingSettingsFrom(
  s: ResolvedSettingsInput,
  cfg: Readonly<RecorderConfig>,
  legs?: readonly string[],
): Omit<RecordingSettings, 'path'> & { path?: string } {
  return {
    format: s.format,
    sampleRate: s.record_sample_rate,
    channels: s.stereo ? 'stereo' : 'mono',
    timeLimitSec: s.time_limit,
    minSec: s.record_min_sec,
    ...(legs ? { legs } : {}),
    ...(s.media_name ? { path: `${cfg.spoolDir}/${s.media_name.replace(/[/\\]/g, '_')}` } : {}),
    mp3Backend: cfg.mp3Encoder,
    lamePath: cfg.lamePath,
    mp3Quality: cfg.mp3Quality,
    encoderNice: cfg.encoderNice,
    ...(cfg.mp3BitrateKbps > 0 ? { mp3BitrateKbps: cfg.mp3BitrateKbps } : {}),
  };
}

/** Session options for one call from the recorder's static config. */
export function sessionOptionsFrom(cfg: Readonly<RecorderConfig>, callId: string, logger?: Logger): HostSessionOptions {
  return {
    callId,
    host: cfg.bindHost,
    spoolDir: cfg.spoolDir,
    jitterMs: cfg.jitterMs,
    receive: cfg.receive,
    ...(cfg.portMin > 0 && cfg.portMax >= cfg.portMin ? { portRange: { min: cfg.portMin, max: cfg.portMax } } : {}),
    ...(logger ? { logger } : {}),
  };
}

/** Encoder worker count from config (0 = cores - 1, at least 1). */
export function encoderWorkersFrom(cfg: Readonly<RecorderConfig>): number {
  return cfg.encoderWorkers > 0 ? cfg.encoderWorkers : Math.max(1, availableParallelism() - 1);
}

/** Recorder worker threads from config ('auto' = cores - 1, at least 1, at most 4; 0 = none, sessions in-thread). */
export function recorderThreadsFrom(cfg: Readonly<RecorderConfig>): number {
  return cfg.threads === 'auto' ? Math.min(4, Math.max(1, availableParallelism() - 1)) : cfg.threads;
}

/**
 * The overload guard's settings. 'auto': with batched receive the datagrams a late thread has
 * not read yet wait in their sockets and are placed by their kernel arrival time, so lateness
 * loses nothing by itself and the guard waits for a whole jitter delay (at 250-300 calls on 2
 * cores the threads ran up to 300-400 ms late in passing runs, and half the delay refused
 * 9-15% of the calls: bench:recordings); with node:dgram a datagram is timed when it is read,
 * so the guard is raised at half the delay, before lateness turns into lost audio.
 */
export function overloadFrom(cfg: Readonly<RecorderConfig>, receive: 'batched' | 'dgram'): OverloadSettings {
  const auto = receive === 'batched' ? cfg.jitterMs : Math.floor(cfg.jitterMs / 2);
  return { lagMs: cfg.overloadLagMs === 'auto' ? auto : cfg.overloadLagMs, backlogMs: cfg.overloadBacklogSec * 1000, clearSec: cfg.overloadClearSec };
}
