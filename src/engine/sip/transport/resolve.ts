import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SipTransportError } from '../errors';
import type { SipRequest } from '../message/message';
import { parseNameAddr, parseUri } from '../message/uri';
import type { Endpoint, TransportName } from './types';

/** Where a request goes before name resolution. */
export interface NextHop {
  transport: TransportName;
  host: string;
  port: number;
}

/**
 * Next hop of a request (RFC 3261 8.1.2 / 12.2.1.1, without RFC 3263 NAPTR/SRV): the first
 * Route when it is a loose router (;lr), else the Request-URI. Transport from ;transport=
 * (default UDP; a sips: URI means TLS, RFC 3261 26.2.2), port default 5060 (5061 for TLS),
 * maddr honoured.
 */
export function nextHop(req: SipRequest): NextHop | SipTransportError {
  let target = req.uri;
  const route = req.headers.get('route');
  if (route) {
    const na = parseNameAddr(route);
    const ru = na ? parseUri(na.uri) : null;
    if (ru && 'lr' in ru.params) target = na!.uri;
  }
  const u = parseUri(target);
  if (!u || (u.scheme !== 'sip' && u.scheme !== 'sips')) {
    return new SipTransportError('ERR_SIP_RESOLVE', `cannot route to ${JSON.stringify(target.slice(0, 100))}`);
  }
  const tp = u.scheme === 'sips' ? 'tls' : (u.params.transport ?? 'udp').toLowerCase();
  if (tp !== 'udp' && tp !== 'tcp' && tp !== 'tls') return new SipTransportError('ERR_SIP_NO_TRANSPORT', `unsupported transport ${tp}`);
  const maddr = u.params.maddr;
  return { transport: tp, host: typeof maddr === 'string' && maddr ? maddr : u.host, port: u.port ?? defaultPort(tp) };
}

/** RFC 3261 19.1.2: 5060 for UDP and TCP, 5061 for TLS. */
export function defaultPort(t: TransportName): number {
  return t === 'tls' ? 5061 : 5060;
}

/** Resolves a host name to an address (dns.lookup, as the OS resolver does). */
export async function resolveHop(h: NextHop): Promise<Endpoint> {
  if (isIP(h.host)) return { transport: h.transport, address: h.host, port: h.port };
  try {
    const r = await lookup(h.host);
    return { transport: h.transport, address: r.address, port: h.port };
  } catch (err) {
    throw new SipTransportError('ERR_SIP_RESOLVE', `cannot resolve ${h.host}: ${(err as Error).message}`);
  }
}
