/**
 * Key presses carried by SIP INFO (the legacy usage RFC 6086 section 2 keeps for requests
 * without an Info-Package header), in the two bodies phones and gateways send:
 *   application/dtmf-relay   "Signal=5\r\nDuration=160" (Cisco / SIP INFO DTMF; `Signal` may also
 *                            be the RFC 4733 event code, 10 = *, 11 = #)
 *   application/dtmf         "5" (the key alone, or its event code)
 * Pure: the digit, `malformed` for one of these types whose body names no key, or `other` for
 * any other request (relayed as it is).
 */
export type InfoDtmf = { kind: 'digit'; digit: string } | { kind: 'malformed' } | { kind: 'other' };

/** RFC 4733 section 3.2 events 0-15: the keys 0-9, *, #, A-D. */
const EVENT_KEYS = '0123456789*#ABCD';
const DTMF_TYPES = new Set(['application/dtmf-relay', 'application/dtmf']);

/** A key given as itself (0-9 * # A-D) or as its RFC 4733 event code (0-15). */
function keyOf(value: string): string | undefined {
  const v = value.trim().toUpperCase();
  if (v.length === 1 && EVENT_KEYS.includes(v)) return v;
  if (/^\d{1,2}$/.test(v) && Number(v) < EVENT_KEYS.length) return EVENT_KEYS[Number(v)];
  return undefined;
}

export function infoDtmf(contentType: string | undefined, body: string | undefined): InfoDtmf {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!DTMF_TYPES.has(type)) return { kind: 'other' };
  const text = body ?? '';
  let key: string | undefined;
  if (type === 'application/dtmf') key = keyOf(text);
  else {
    const signal = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(text);
    key = signal ? keyOf(signal[1]) : undefined;
  }
  return key === undefined ? { kind: 'malformed' } : { kind: 'digit', digit: key };
}
