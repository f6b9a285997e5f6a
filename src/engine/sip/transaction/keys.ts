import type { Via } from '../message/fields';
import { MAGIC_COOKIE } from '../message/create';
import type { SipMessage } from '../message/message';
import { getHeaderParam } from '../message/params';

/**
 * Server transaction key (RFC 3261 17.2.3): branch + sent-by + method, with ACK mapped to INVITE
 * (an ACK for a non-2xx belongs to the INVITE transaction). Branches without the magic cookie
 * (RFC 2543 peers) get a best-effort key from Call-ID, From tag, CSeq number and the Via.
 */
export function serverKey(msg: SipMessage, via: Via, method: string): string {
  const m = method === 'ACK' ? 'INVITE' : method;
  const b = via.branch;
  if (b && b.startsWith(MAGIC_COOKIE)) return `${b}|${via.host}:${via.port ?? ''}|${m}`;
  const h = msg.headers;
  const from = h.get('from') ?? '';
  return `2543|${h.get('call-id') ?? ''}|${getHeaderParam(from, 'tag') ?? ''}|${parseInt(h.get('cseq') ?? '0', 10)}|${via.host}:${via.port ?? ''}|${b ?? ''}|${m}`;
}

/** Client transaction key (RFC 3261 17.1.3): top Via branch + CSeq method. */
export function clientKey(branch: string, cseqMethod: string): string {
  return `${branch}|${cseqMethod}`;
}

/** Key an ACK for a 2xx matches an Accepted INVITE server transaction by (Call-ID, CSeq number, To tag). */
export function dialogAckKey(callId: string, cseq: number, toTag: string): string {
  return `${callId}|${cseq}|${toTag}`;
}
