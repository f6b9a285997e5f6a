import { parseParams, formatParams, type Params } from './params';

/** A SIP/SIPS URI (RFC 3261 section 19.1). Other schemes (tel:) parse with host = the rest. */
export interface SipUri {
  scheme: string;
  user?: string;
  password?: string;
  /** Without IPv6 brackets. */
  host: string;
  port?: number;
  /** URI parameters, lower-case names (transport, lr, maddr, ...). */
  params: Params;
  /** The part after '?', raw. */
  headers?: string;
}

/** Parses a URI; returns null when it is not one (never throws). */
export function parseUri(s: string): SipUri | null {
  const str = s.trim();
  const colon = str.indexOf(':');
  if (colon <= 0 || str.indexOf(' ') >= 0 || str.indexOf('\t') >= 0) return null;
  const scheme = str.slice(0, colon).toLowerCase();
  for (let i = 0; i < scheme.length; i++) {
    const c = scheme.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)))) return null;
  }
  let rest = str.slice(colon + 1);
  let headers: string | undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (scheme !== 'sip' && scheme !== 'sips') {
    const semi = rest.indexOf(';');
    const host = semi < 0 ? rest : rest.slice(0, semi);
    if (!host) return null;
    return { scheme, host, params: semi < 0 ? {} : parseParams(rest.slice(semi)), headers };
  }
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    if (pc >= 0) {
      user = userinfo.slice(0, pc);
      password = userinfo.slice(pc + 1);
    } else user = userinfo;
    if (!user) return null;
  }
  const hp = parseHostPort(rest);
  if (!hp) return null;
  const params = hp.rest ? parseParams(hp.rest) : {};
  return { scheme, user, password, host: hp.host, port: hp.port, params, headers };
}

/** host[:port] possibly followed by ;params. Host without brackets. */
export function parseHostPort(s: string): { host: string; port?: number; rest: string } | null {
  let host: string;
  let i: number;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    host = s.slice(1, close);
    if (!host || host.indexOf(':') < 0) return null;
    i = close + 1;
  } else {
    i = 0;
    while (i < s.length && s[i] !== ':' && s[i] !== ';' && s[i] !== '?') i++;
    host = s.slice(0, i);
    if (!host) return null;
    for (let k = 0; k < host.length; k++) {
      const c = host.charCodeAt(k);
      // hostname / IPv4 characters only (RFC 3261 25.1 hostname, IPv4address)
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f)) return null;
    }
  }
  let port: number | undefined;
  if (s[i] === ':') {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    if (j === i + 1 || j - i - 1 > 5) return null;
    port = Number(s.slice(i + 1, j));
    if (port > 65535) return null;
    i = j;
  }
  const rest = s.slice(i).trim();
  if (rest && rest[0] !== ';' && rest[0] !== '?') return null;
  return { host, port, rest };
}

/** Brackets an IPv6 literal for use in a URI or sent-by. */
export function formatHost(host: string): string {
  return host.indexOf(':') >= 0 && !host.startsWith('[') ? `[${host}]` : host;
}

export function formatUri(u: SipUri): string {
  let s = `${u.scheme}:`;
  if (u.user !== undefined) s += u.password !== undefined ? `${u.user}:${u.password}@` : `${u.user}@`;
  s += formatHost(u.host);
  if (u.port !== undefined) s += `:${u.port}`;
  s += formatParams(u.params);
  if (u.headers !== undefined) s += `?${u.headers}`;
  return s;
}

/** A name-addr or addr-spec header value (From, To, Contact, Route, ...; RFC 3261 20.10). */
export interface NameAddr {
  displayName?: string;
  /** The URI as written (without < >). */
  uri: string;
  /** Header parameters (tag, expires, q, lr on Route is a URI param: see parseUri). */
  params: Params;
  /** Shortcut for params.tag. */
  tag?: string;
}

/** Parses a name-addr / addr-spec; null when malformed (never throws). */
export function parseNameAddr(s: string): NameAddr | null {
  const str = s.trim();
  if (!str) return null;
  if (str === '*') return { uri: '*', params: {} };
  let displayName: string | undefined;
  let i = 0;
  if (str[0] === '"') {
    let j = 1;
    for (; j < str.length; j++) {
      if (str[j] === '\\') j++;
      else if (str[j] === '"') break;
    }
    if (j >= str.length) return null;
    displayName = str.slice(1, j).replace(/\\(.)/g, '$1');
    i = j + 1;
  }
  const lt = str.indexOf('<', i);
  let uri: string;
  let paramStr: string;
  if (lt >= 0) {
    const gt = str.indexOf('>', lt);
    if (gt < 0) return null;
    if (displayName === undefined) {
      const d = str.slice(0, lt).trim();
      if (d) displayName = d;
    } else if (str.slice(i, lt).trim()) return null;
    uri = str.slice(lt + 1, gt).trim();
    paramStr = str.slice(gt + 1).trim();
    if (paramStr && paramStr[0] !== ';') return null;
  } else {
    if (displayName !== undefined) return null;
    // addr-spec: parameters after the URI belong to the header, not the URI (RFC 3261 20.10)
    const semi = str.indexOf(';');
    uri = semi < 0 ? str : str.slice(0, semi).trim();
    paramStr = semi < 0 ? '' : str.slice(semi);
    if (uri.indexOf(' ') >= 0) return null;
  }
  if (!uri || uri.indexOf(':') <= 0) return null;
  const params = paramStr ? parseParams(paramStr) : {};
  const tag = params.tag;
  return { displayName, uri, params, tag: tag === null ? undefined : tag };
}

export function formatNameAddr(na: NameAddr): string {
  const dn = na.displayName !== undefined ? `"${na.displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${dn}<${na.uri}>${formatParams(na.params)}`;
}
