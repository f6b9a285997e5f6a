/** Errors of the media part. Callers branch on `code`, never on message text. */
export class MediaError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An NG command got no answer within the command timeout. */
export class RtpengineTimeout extends MediaError {
  constructor(readonly command: string, readonly target: string, readonly timeoutMs: number) {
    super('RTPENGINE_TIMEOUT', `rtpengine ${target} did not answer '${command}' within ${timeoutMs} ms`);
  }
}

/** The rtpengine instance anchoring a call died or stopped answering: the call's media is gone. */
export class RtpengineLost extends MediaError {
  constructor(readonly target: string) {
    super('RTPENGINE_LOST', `rtpengine ${target} lost its calls`);
  }
}

/** rtpengine answered `result: error`; `reason` is its `error-reason`. */
export class RtpengineError extends MediaError {
  constructor(readonly command: string, readonly reason: string) {
    super('RTPENGINE_ERROR', `rtpengine refused '${command}': ${reason}`);
  }
}

/** The local rtpengine could not be started (binary missing, exits at once, never answers ping). */
export class RtpengineStartError extends MediaError {
  constructor(message: string) {
    super('RTPENGINE_START_FAILED', message);
  }
}

/** An operation on a closed object (CallMedia, MediaServer, supervisor). */
export class MediaClosedError extends MediaError {
  constructor(what: string) {
    super('MEDIA_CLOSED', `${what} is closed`);
  }
}

/** An SDP body we cannot use (no audio m-line, unparsable line). */
export class SdpError extends MediaError {
  constructor(message: string) {
    super('SDP_INVALID', message);
  }
}

/** A call-media operation called in a state that does not allow it. */
export class MediaStateError extends MediaError {
  constructor(operation: string, state: string) {
    super('MEDIA_BAD_STATE', `cannot ${operation} in state ${state}`);
  }
}
