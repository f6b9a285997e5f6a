import { parseVia, type Via } from '../message/fields';
import type { SipRequest } from '../message/message';
import { setHeaderParam } from '../message/params';
import { isReliable, type Endpoint, type InboundContext } from './types';

/**
 * RFC 3261 18.2.1 and RFC 3581 4: received= when the sent-by host differs from the source
 * address, and rport filled in (with received=) when the client asked for it. Returns the
 * parsed top Via, or null when the request has none (it cannot be answered).
 */
export function stampVia(req: SipRequest, ctx: InboundContext): Via | null {
  const raw = req.headers.get('via');
  const via = raw ? parseVia(raw) : null;
  if (!raw || !via) return null;
  const src = ctx.source;
  let value = raw;
  if (via.rport === null) {
    value = setHeaderParam(setHeaderParam(value, 'received', src.address), 'rport', String(src.port));
    via.received = src.address;
    via.rport = src.port;
  } else if (via.host !== src.address) {
    value = setHeaderParam(value, 'received', src.address);
    via.received = src.address;
  }
  if (value !== raw) req.headers.replaceFirst('Via', value);
  return via;
}

/** RFC 3261 18.2.2 (with RFC 3581): where responses to this request go. */
export function responseTarget(via: Via, ctx: InboundContext): Endpoint {
  // Reliable: back on the connection the request came on (the transport reuses it by source).
  if (isReliable(ctx.source.transport)) return ctx.source;
  const address = via.received ?? via.host;
  const port = typeof via.rport === 'number' ? via.rport : via.port ?? 5060;
  return { transport: ctx.source.transport, address, port };
}
