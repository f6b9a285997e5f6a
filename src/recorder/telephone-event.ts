/** RFC 4733 section 2.3 telephone-event payload (DTMF carried in RTP). */
export interface TelephoneEvent {
  readonly event: number;
  /** '0'-'9', '*', '#', 'A'-'D' for events 0-15; null for other events. */
  readonly digit: string | null;
  readonly end: boolean;
  readonly volume: number;
  readonly duration: number;
}

const DIGITS = '0123456789*#ABCD';

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | null {
  if (payload.length < 4) return null;
  const event = payload[0];
  return {
    event,
    digit: event < DIGITS.length ? DIGITS[event] : null,
    end: (payload[1] & 0x80) !== 0,
    volume: payload[1] & 0x3f,
    duration: (payload[2] << 8) | payload[3],
  };
}
