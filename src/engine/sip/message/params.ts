/** Generic ;name=value parameter lists (RFC 3261 section 25.1 generic-param). */

export type Params = Record<string, string | null>;

/**
 * Parses `;a=1;b;c="x;y"` (the leading ';' optional). Names are lower-cased (they compare
 * case-insensitively); values are kept as written; a name without '=' maps to null.
 */
export function parseParams(s: string): Params {
  const out: Params = {};
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ';' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= n) break;
    let j = i;
    let inQuote = false;
    for (; j < n; j++) {
      const c = s[j];
      if (inQuote) {
        if (c === '\\') j++;
        else if (c === '"') inQuote = false;
      } else if (c === '"') inQuote = true;
      else if (c === ';') break;
    }
    const part = s.slice(i, j);
    const eq = part.indexOf('=');
    if (eq < 0) out[part.trim().toLowerCase()] = null;
    else out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
    i = j + 1;
  }
  return out;
}

export function formatParams(p: Params): string {
  let s = '';
  for (const [k, v] of Object.entries(p)) s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

/**
 * Index where a header value's own parameters start (the ';' after the URI or sent-by), or -1.
 * For name-addr values that is after the closing '>'; for addr-spec and Via, the first ';'.
 */
export function headerParamsStart(value: string): number {
  let inQuote = false;
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '<') {
      const close = value.indexOf('>', i);
      if (close < 0) return -1;
      from = close + 1;
      break;
    } else if (c === ';') return i;
  }
  const semi = value.indexOf(';', from);
  return semi;
}

/** A header parameter: undefined when absent, null when present without a value. */
export function getHeaderParam(value: string, name: string): string | null | undefined {
  const at = headerParamsStart(value);
  if (at < 0) return undefined;
  const p = parseParams(value.slice(at));
  const key = name.toLowerCase();
  return key in p ? p[key] : undefined;
}

/**
 * Sets (string), sets valueless (null) or removes (undefined) a header parameter and returns the
 * new header value. Other parameters keep their order.
 */
export function setHeaderParam(value: string, name: string, v: string | null | undefined): string {
  const at = headerParamsStart(value);
  const base = at < 0 ? value.trimEnd() : value.slice(0, at).trimEnd();
  const p = at < 0 ? {} : parseParams(value.slice(at));
  const key = name.toLowerCase();
  if (v === undefined) delete p[key];
  else p[key] = v;
  return base + formatParams(p);
}
