import { InvalidTransitionError } from './errors';

/** Life of one recording in the delivery queue. */
export enum DeliveryStatus {
  Pending = 'pending',
  Uploading = 'uploading',
  Uploaded = 'uploaded',
  Failed = 'failed',
  Discarded = 'discarded',
}

export enum DeliveryEvent {
  /** An attempt starts. */
  Send = 'send',
  /** The receiver answered 2xx. */
  Succeed = 'succeed',
  /** The attempt failed and another one is scheduled. */
  Retry = 'retry',
  /** No further attempt: refused URL, missing file, or horizon reached. */
  Fail = 'fail',
  /** The recording is not to be delivered (too short): counted, recorded, never sent. */
  Discard = 'discard',
  /** An operator asks to try a failed recording again. */
  Requeue = 'requeue',
  /** Start-up found an attempt that a crash or kill interrupted. */
  Recover = 'recover',
}

const MOVES: Readonly<Record<DeliveryStatus, Partial<Record<DeliveryEvent, DeliveryStatus>>>> = {
  [DeliveryStatus.Pending]: {
    [DeliveryEvent.Send]: DeliveryStatus.Uploading,
    [DeliveryEvent.Fail]: DeliveryStatus.Failed,
    [DeliveryEvent.Discard]: DeliveryStatus.Discarded,
  },
  [DeliveryStatus.Uploading]: {
    [DeliveryEvent.Succeed]: DeliveryStatus.Uploaded,
    [DeliveryEvent.Retry]: DeliveryStatus.Pending,
    [DeliveryEvent.Fail]: DeliveryStatus.Failed,
    [DeliveryEvent.Recover]: DeliveryStatus.Pending,
  },
  [DeliveryStatus.Failed]: {
    [DeliveryEvent.Requeue]: DeliveryStatus.Pending,
  },
  [DeliveryStatus.Uploaded]: {},
  [DeliveryStatus.Discarded]: {},
};

/** The one place that decides which status moves are legal. Throws InvalidTransitionError. */
export function nextStatus(from: DeliveryStatus, event: DeliveryEvent): DeliveryStatus {
  const to = MOVES[from][event];
  if (to === undefined) throw new InvalidTransitionError(from, event);
  return to;
}
