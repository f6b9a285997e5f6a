import { parseParams, type Params } from './params';
import { parseHostPort } from './uri';

/** A Via header value (RFC 3261 section 20.42, RFC 3581). */
export interface Via {
  /** 'SIP/2.0' */
  protocol: string;
  /** Upper-case transport as written: UDP, TCP, TLS, WS... */
  transport: string;
  /** sent-by host, without IPv6 brackets */
  host: string;
  port?: number;
  params: Params;
  branch?: string;
  received?: string;
  /** undefined: no rport; null: rport without a value (request asks for it); number: filled in. */
  rport?: number | null;
}

/** Parses one Via value; null when malformed. */
export function parseVia(s: string): Via | null {
  const str = s.trim();
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, LWS allowed around SLASH
  let i = 0;
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    while (i < str.length && (str[i] === ' ' || str[i] === '\t')) i++;
    let j = i;
    while (j < str.length && str[j] !== '/' && str[j] !== ' ' && str[j] !== '\t') j++;
    if (j === i) return null;
    parts.push(str.slice(i, j));
    i = j;
    while (i < str.length && (str[i] === ' ' || str[i] === '\t')) i++;
    if (k < 2) {
      if (str[i] !== '/') return null;
      i++;
    }
  }
  if (parts[0].toUpperCase() !== 'SIP') return null;
  const rest = str.slice(i).trim();
  const hp = parseHostPort(rest);
  if (!hp) return null;
  const params = hp.rest ? parseParams(hp.rest) : {};
  const via: Via = {
    protocol: `${parts[0]}/${parts[1]}`,
    transport: parts[2].toUpperCase(),
    host: hp.host,
    port: hp.port,
    params,
  };
  const branch = params.branch;
  if (typeof branch === 'string') via.branch = branch;
  const received = params.received;
  if (typeof received === 'string') via.received = received;
  if ('rport' in params) {
    const rp = params.rport;
    if (rp === null || rp === '') via.rport = null;
    else {
      const n = Number(rp);
      if (!Number.isInteger(n) || n < 0 || n > 65535) return null;
      via.rport = n;
    }
  }
  return via;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Parses a CSeq value (RFC 3261 20.16: number < 2^31, then the method); null when malformed. */
export function parseCSeq(s: string): CSeq | null {
  const str = s.trim();
  let i = 0;
  while (i < str.length && str.charCodeAt(i) >= 0x30 && str.charCodeAt(i) <= 0x39) i++;
  if (i === 0 || i > 10) return null;
  const seq = Number(str.slice(0, i));
  if (seq >= 2 ** 31) return null;
  const method = str.slice(i).trim();
  if (!method || method.indexOf(' ') >= 0) return null;
  return { seq, method };
}
