import { isIP } from 'node:net';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';

/**
 * Behind a SIP edge proxy (Kamailio, deploy/kamailio/) every request's network source is the
 * edge. The edge names the caller's real source in a header; a node believes it only from
 * the configured edge addresses, and then treats the request as if it came from there: trunk
 * recognition (source ip:port), the failure limiter's keys and the registrar's received
 * address all read `req.source_address` / `req.source_port`, so they are rewritten once, first.
 */

export interface RealSource {
  address: string;
  port: number;
  transport: string;
}

/** `<ip>;port=<port>;transport=<udp|tcp|tls>` (what the shipped kamailio.cfg writes); undefined when malformed. */
export function parseRealSource(value: string): RealSource | undefined {
  const [addr = '', ...params] = value.trim().split(';').map((p) => p.trim());
  const address = addr.replace(/^\[|\]$/g, '');
  if (isIP(address) === 0) return undefined;
  const kv = new Map(params.map((p) => {
    const i = p.indexOf('=');
    return i < 0 ? [p.toLowerCase(), ''] : [p.slice(0, i).toLowerCase(), p.slice(i + 1)];
  }));
  const portText = kv.get('port') ?? '5060';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return undefined;
  const transport = (kv.get('transport') ?? 'udp').toLowerCase();
  if (!/^(udp|tcp|tls|ws|wss|sctp)$/.test(transport)) return undefined;
  return { address, port, transport };
}

export interface EdgeOptions {
  addresses: readonly string[];
  header: string;
  logger: Logger;
}

// drachtio-srf types a middleware's next as Function.
type Next = Function; // eslint-disable-line @typescript-eslint/no-unsafe-function-type

/** drachtio-srf middleware for every method; install before anything reads the source. */
export function edgeSource(o: EdgeOptions): (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next) => void {
  const edges = new Set(o.addresses);
  return (req, _res, next) => {
    if (edges.size === 0 || !edges.has(req.source_address) || !req.has(o.header)) { next(); return; }
    const real = parseRealSource(req.get(o.header));
    if (!real) {
      // The edge's own bug, never the caller's input: keep the edge as the source.
      o.logger.warn({ callId: req.get('Call-ID'), header: o.header }, 'malformed real-source header from the edge ignored');
      next();
      return;
    }
    // drachtio-srf keeps the port as a number at run time (its typings say string).
    Object.assign(req, { source_address: real.address, source_port: real.port, protocol: real.transport });
    next();
  };
}
