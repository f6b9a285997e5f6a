/**
 * Hangup causes in Kazoo's / FreeSWITCH's vocabulary (what a Kazoo CDR's `hangup_cause`
 * carries, ITU-T Q.850 names), and the metric outcome of each. Pure.
 */
import type { CallOutcome } from '../metrics';

export enum HangupCause {
  NormalClearing = 'NORMAL_CLEARING',
  OriginatorCancel = 'ORIGINATOR_CANCEL',
  UserBusy = 'USER_BUSY',
  NoAnswer = 'NO_ANSWER',
  NoUserResponse = 'NO_USER_RESPONSE',
  UnallocatedNumber = 'UNALLOCATED_NUMBER',
  CallRejected = 'CALL_REJECTED',
  NoRouteDestination = 'NO_ROUTE_DESTINATION',
  NormalTemporaryFailure = 'NORMAL_TEMPORARY_FAILURE',
  MediaTimeout = 'MEDIA_TIMEOUT',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  RecoveryOnTimerExpire = 'RECOVERY_ON_TIMER_EXPIRE',
  SystemShutdown = 'SYSTEM_SHUTDOWN',
}

/** The cause for a final failure status (RFC 3398 section 8.2.6.1 maps SIP to Q.850 in reverse). */
export function causeOfStatus(status: number): HangupCause {
  switch (status) {
    case 404: case 484: case 604: return HangupCause.UnallocatedNumber;
    case 486: case 600: return HangupCause.UserBusy;
    case 480: return HangupCause.NoUserResponse;
    case 487: return HangupCause.OriginatorCancel;
    case 408: case 504: return HangupCause.RecoveryOnTimerExpire;
    case 403: case 603: return HangupCause.CallRejected;
    case 503: return HangupCause.NormalTemporaryFailure;
    default:
      if (status >= 500) return HangupCause.ServiceUnavailable;
      return HangupCause.CallRejected;
  }
}

/** The b2bua_calls_total outcome label for a call that ended with `cause`. */
export function outcomeOf(cause: HangupCause, answered: boolean): CallOutcome {
  if (answered) return cause === HangupCause.MediaTimeout ? 'failed' : 'answered';
  switch (cause) {
    case HangupCause.OriginatorCancel: return 'cancelled';
    case HangupCause.NoAnswer: case HangupCause.NoUserResponse: case HangupCause.RecoveryOnTimerExpire: return 'no_answer';
    case HangupCause.UserBusy: case HangupCause.CallRejected: case HangupCause.UnallocatedNumber: return 'rejected';
    default: return 'failed';
  }
}
