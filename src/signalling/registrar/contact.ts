/**
 * Contact header values as a registrar needs them (RFC 3261 20.10, 10.3). Pure parsing: the
 * header may hold several comma-separated contacts, display names may be quoted and contain
 * commas, and a URI without angle brackets cannot carry URI parameters (every `;param` after
 * it is a header parameter).
 */

export interface ParsedContact {
  /** The URI as written (without angle brackets). */
  uri: string;
  displayName?: string;
  /** Header parameters, names lower-cased; valueless params map to ''. */
  params: Record<string, string>;
}

export type ContactList = { wildcard: true } | { wildcard: false; contacts: ParsedContact[] };

export class ContactParseError extends Error {
  readonly code = 'contact_parse';
  constructor(message: string) {
    super(message);
    this.name = 'ContactParseError';
  }
}

/** Splits on commas outside quotes and angle brackets (Contact, Path). */
export function splitTopLevel(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\' && i + 1 < value.length) { cur += ch + value[++i]; continue; }
      if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle++;
    else if (ch === '>') angle = Math.max(0, angle - 1);
    else if (ch === ',' && angle === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

function parseParams(s: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of s.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    let val = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1);
    params[name] = val;
  }
  return params;
}

export function parseContact(one: string): ParsedContact {
  const s = one.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new ContactParseError(`unterminated <...> in Contact: ${s}`);
    let name = s.slice(0, lt).trim();
    if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
    const uri = s.slice(lt + 1, gt).trim();
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) throw new ContactParseError(`Contact URI without a scheme: ${uri}`);
    return { uri, ...(name ? { displayName: name } : {}), params: parseParams(s.slice(gt + 1)) };
  }
  const semi = s.indexOf(';');
  const uri = (semi < 0 ? s : s.slice(0, semi)).trim();
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(uri)) throw new ContactParseError(`bad Contact: ${s}`);
  return { uri, params: semi < 0 ? {} : parseParams(s.slice(semi + 1)) };
}

/** Parses every Contact header value of a request (each may list several contacts). */
export function parseContactHeaders(values: string[]): ContactList {
  const parts = values.flatMap(splitTopLevel);
  if (parts.some((p) => p === '*')) {
    // RFC 3261 10.3 step 6: `*` must be the only Contact.
    if (parts.length !== 1) throw new ContactParseError('"*" must be the only Contact');
    return { wildcard: true };
  }
  return { wildcard: false, contacts: parts.map(parseContact) };
}

/**
 * A comparison key for two contact URIs (RFC 3261 19.1.4, simplified): scheme and host are
 * case-insensitive, the user part is not; URI parameters and headers are ignored except
 * transport, which changes where requests go.
 */
export function contactKey(uri: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:([^@;?]*)@)?([^;?]*)([^?]*)/.exec(uri.trim());
  if (!m) return uri.trim();
  const transport = /;transport=([^;?]+)/i.exec(m[4] ?? '')?.[1]?.toLowerCase() ?? '';
  // sip:h and sip:h:5060 differ on purpose: 19.1.4 says a default port written out does not match an omitted one.
  const host = m[3].toLowerCase();
  return `${m[1].toLowerCase()}:${m[2] ?? ''}@${host};${transport}`;
}

export function formatContact(uri: string, params: Record<string, string | number>): string {
  const p = Object.entries(params).map(([k, v]) => (v === '' ? `;${k}` : `;${k}=${v}`)).join('');
  return `<${uri}>${p}`;
}
