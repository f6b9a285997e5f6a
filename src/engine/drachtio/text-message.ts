/**
 * A lenient, ordered view of the SIP text an application sends over the wire protocol.
 * drachtio-srf sends partial messages (no Via, often no From/To/Call-ID/CSeq), so the strict
 * SIP core parser cannot take them as they are: the engine completes them here (the way
 * drachtio-server fills in what is missing) and only then hands the finished text to the core.
 */

export interface TextMessage {
  startLine: string;
  headers: [string, string][];
  body: string;
}

const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', f: 'from', t: 'to', v: 'via', l: 'content-length', c: 'content-type',
  k: 'supported', s: 'subject', e: 'content-encoding', o: 'event', r: 'refer-to', b: 'referred-by', x: 'session-expires',
};

/** Normalized names by name as written: every header lookup normalizes every line's name. */
const normalized = new Map<string, string>();
const MAX_NORMALIZED = 1024;

function norm(name: string): string {
  let n = normalized.get(name);
  if (n !== undefined) return n;
  const lower = name.trim().toLowerCase();
  n = COMPACT[lower] ?? lower;
  // Bounded: an application inventing header names cannot grow it without limit.
  if (normalized.size >= MAX_NORMALIZED) normalized.clear();
  normalized.set(name, n);
  return n;
}

/** Returns null when there is no start line at all. Headers folded per RFC 3261 7.3.1 are unfolded. */
export function parseText(text: string): TextMessage | null {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const lines = head.split('\r\n');
  const startLine = (lines.shift() ?? '').trim();
  if (startLine === '') return null;
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      headers[headers.length - 1][1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, body };
}

export function getHeader(m: TextMessage, name: string): string | undefined {
  const n = norm(name);
  const h = m.headers.find(([k]) => norm(k) === n);
  return h?.[1];
}

export function getAllHeaders(m: TextMessage, name: string): string[] {
  const n = norm(name);
  return m.headers.filter(([k]) => norm(k) === n).map(([, v]) => v);
}

export function hasHeader(m: TextMessage, name: string): boolean {
  return getHeader(m, name) !== undefined;
}

/** Removes every occurrence after index `from` (in place: messages are rebuilt per request). */
function removeFrom(m: TextMessage, n: string, from: number): void {
  const h = m.headers;
  let w = from;
  for (let r = from; r < h.length; r++) if (norm(h[r][0]) !== n) h[w++] = h[r];
  h.length = w;
}

export function removeHeader(m: TextMessage, name: string): void {
  removeFrom(m, norm(name), 0);
}

/** Replaces every occurrence (keeping the first one's position) or appends. */
export function setHeader(m: TextMessage, name: string, value: string): void {
  const n = norm(name);
  const i = m.headers.findIndex(([k]) => norm(k) === n);
  if (i < 0) {
    m.headers.push([name, value]);
    return;
  }
  m.headers[i] = [name, value];
  removeFrom(m, n, i + 1);
}

/** Puts the given values first (e.g. Via, Route), in order. */
export function prependHeaders(m: TextMessage, name: string, values: string[]): void {
  m.headers = [...values.map((v): [string, string] => [name, v]), ...m.headers];
}

export function appendHeader(m: TextMessage, name: string, value: string): void {
  m.headers.push([name, value]);
}

/** Serializes with a Content-Length computed from the body (never trust the app's). */
export function renderText(m: TextMessage): string {
  const lines = [m.startLine];
  for (const [k, v] of m.headers) {
    if (norm(k) === 'content-length') continue;
    lines.push(`${k}: ${v}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(m.body, 'utf8')}`);
  return lines.join('\r\n') + '\r\n\r\n' + m.body;
}

/** Request line `METHOD uri SIP/2.0`, or null. */
export function requestLine(m: TextMessage): { method: string; uri: string } | null {
  const p = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/i.exec(m.startLine);
  return p ? { method: p[1].toUpperCase(), uri: p[2] } : null;
}

/** Status line `SIP/2.0 code reason`, or null. */
export function statusLine(m: TextMessage): { status: number; reason: string } | null {
  const p = /^SIP\/2\.0\s+(\d{3})(?:\s+(.*))?$/i.exec(m.startLine);
  return p ? { status: Number(p[1]), reason: p[2] ?? '' } : null;
}

const WELL_KNOWN: Record<string, string> = Object.fromEntries([
  'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Type', 'Content-Length', 'Max-Forwards', 'Route',
  'Record-Route', 'Expires', 'Allow', 'Supported', 'Require', 'User-Agent', 'Server', 'Authorization',
  'Proxy-Authorization', 'WWW-Authenticate', 'Proxy-Authenticate', 'Event', 'Subscription-State', 'Refer-To',
  'Referred-By', 'Reason', 'Session-Expires', 'Min-SE', 'RAck', 'RSeq', 'P-Asserted-Identity', 'Content-Disposition',
  'Accept', 'Subject', 'Allow-Events', 'Retry-After', 'Warning', 'Date',
].map((n) => [n.toLowerCase(), n]));

/** Well-known header names in their usual case, as sofia (drachtio-server's stack) writes them. */
export function displayName(name: string): string {
  return WELL_KNOWN[norm(name)] ?? name;
}

/** Lower-case long name (compact forms expanded), as lookups compare them. */
export function normalizedName(name: string): string {
  return norm(name);
}
