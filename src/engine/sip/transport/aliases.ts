import { parseVia } from '../message/fields';
import type { SipMessage } from '../message/message';
import { parseNameAddr, parseUri } from '../message/uri';
import type { Endpoint } from './types';

/**
 * Connection reuse for a peer that came to us over TCP or TLS (RFC 5923 3, RFC 3261 18): the
 * host:port its top Via (requests) and first Contact name, so that requests we later send to
 * them (a BYE to the phone's Contact, a request to its registered flow) go on the connection it
 * opened instead of a new one, which a phone without a server certificate or behind a firewall
 * could not accept. Only names on the connection's own IP address count: a peer can alias
 * nothing but its own host, so it cannot steal another's requests.
 */
export function aliasEndpoints(msg: SipMessage, source: Endpoint): Endpoint[] {
  const out: Endpoint[] = [];
  const add = (host: string | undefined, port: number | undefined, defaultPort: number): void => {
    if (!host || host !== source.address) return;
    const p = port ?? defaultPort;
    if (p === source.port || out.some((e) => e.port === p)) return;
    out.push({ transport: source.transport, address: host, port: p });
  };
  const tlsDefault = source.transport === 'tls' ? 5061 : 5060;
  if (msg.kind === 'request') {
    const via = parseVia(msg.headers.get('via') ?? '');
    if (via && via.transport.toLowerCase() === source.transport) add(via.host, via.port, tlsDefault);
  }
  const contact = msg.headers.get('contact');
  const na = contact ? parseNameAddr(contact) : null;
  const u = na ? parseUri(na.uri) : null;
  if (u) {
    const tp = u.scheme === 'sips' ? 'tls' : (u.params.transport ?? 'udp').toString().toLowerCase();
    if (tp === source.transport) add(u.host, u.port, tlsDefault);
  }
  return out;
}
