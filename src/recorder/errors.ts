/** Named, coded errors of the recorder part (callers branch on `code`, never on message text). */
export class RtpParseError extends Error {
  readonly code = 'RTP_MALFORMED';
  constructor(readonly reason: string) {
    super(`malformed RTP packet: ${reason}`);
    this.name = 'RtpParseError';
  }
}

export class RecorderConfigError extends Error {
  readonly code = 'RECORDER_BAD_SETTINGS';
  constructor(message: string) {
    super(message);
    this.name = 'RecorderConfigError';
  }
}

export class EncoderError extends Error {
  readonly code = 'RECORDER_ENCODER_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'EncoderError';
  }
}

export class RecordingStateError extends Error {
  readonly code = 'RECORDING_BAD_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'RecordingStateError';
  }
}

/** Why a pause or resume was refused: the recording is already paused, or it is not paused. */
export type PauseRefusal = 'RECORDING_ALREADY_PAUSED' | 'RECORDING_NOT_PAUSED';

export class RecordingPauseError extends Error {
  constructor(readonly code: PauseRefusal) {
    super(code === 'RECORDING_ALREADY_PAUSED' ? 'the recording is already paused' : 'the recording is not paused');
    this.name = 'RecordingPauseError';
  }
}
