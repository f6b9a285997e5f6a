/**
 * The built-in recorder: RTP from rtpengine's subscribed streams in, WAV/MP3 spool files out.
 *
 *   const host = recorderHostFrom(cfg.recorder, key, log);  // once per process: worker threads or in-thread
 *   const session = host.session({ callId, spoolDir, portRange, logger });
 *   const endpoints = await session.start();                // [{ leg: 'caller', host, port }, ...] -> ForkTarget
 *   const rec = session.record({ format, sampleRate, channels, timeLimitSec, minSec });
 *   rec.begin();                                            // now, or on answer / bridge
 *   const result = await rec.stop('stop');                  // or time limit, or session.close('hangup')
 */
export { RecordingSession, SessionState, type SessionOptions, type LegEndpoint, type SessionEvents } from './session';
export { Recording, RecordingState, type RecordingSettings, type RecordingResult, type LegStats, type StopReason } from './recording';
export { EncoderPool, EncoderJob, type EncodedFile } from './encoder/pool';
export type { RecordingFormat, Mp3Backend } from './encoder/writer';
export type { ChannelMode } from './mixer';
export { mp3BitrateKbps, isMp3SampleRate, MP3_SAMPLE_RATES } from './mp3-params';
export { RtpParseError, RecorderConfigError, EncoderError, RecordingStateError } from './errors';
export { recordingSettingsFrom, sessionOptionsFrom, encoderWorkersFrom, recorderThreadsFrom, type ResolvedSettingsInput } from './from-config';
export type { RecorderHost, RecorderSession, RecordingHandle, RecordSettings, LegCodec, HostSessionOptions } from './contract';
export { InThreadHost, recorderHostFrom } from './host';
export { RecorderThreads, RemoteRecordingSession, RemoteRecording } from './remote/remote-session';
export { InThreadEncoders, type EncoderFactory, type EncoderSink } from './encoder/output-job';
export { PauseLog, type PauseMode, type PausedInterval } from './pauses';
export { RecordingPauseError, type PauseRefusal } from './errors';
