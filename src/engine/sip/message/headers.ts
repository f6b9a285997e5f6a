import { SipHeaderError } from '../errors';

/**
 * Compact header forms (RFC 3261 section 7.3.3 plus the ones later RFCs registered) mapped to the
 * lower-case long name that lookups use.
 */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', r: 'refer-to',
  u: 'allow-events', b: 'referred-by', x: 'session-expires', y: 'identity', a: 'accept-contact',
  j: 'reject-contact', d: 'request-disposition',
};

/**
 * Headers whose values are comma-separated lists (RFC 3261 section 7.3.1): one line may carry
 * several values, and getAll() returns them one by one.
 */
const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'allow-events', 'content-encoding',
  'path', 'service-route', 'p-asserted-identity', 'alert-info', 'call-info', 'error-info', 'in-reply-to',
]);

/** Lower-case long name used for case-insensitive lookup. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? COMPACT[lower] ?? lower : lower;
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(canonicalName(name));
}

/** RFC 3261 token characters (section 25.1). */
function isTokenChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x21 || c === 0x25 || c === 0x2a || c === 0x5f ||
    c === 0x2b || c === 0x60 || c === 0x27 || c === 0x7e;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** True when the value has a CR, LF or NUL: such a value would inject header lines. */
export function hasLineBreak(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) return true;
  }
  return false;
}

/**
 * Splits a list header value on commas that are not inside quotes or <...> (RFC 3261 7.3.1:
 * a comma inside a quoted display name or a URI is not a separator).
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) return [value];
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++; // backslash escapes the next char inside a quoted-string
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) angle++;
    else if (c === 0x3e) { if (angle > 0) angle--; }
    else if (c === 0x2c && angle === 0) {
      const part = value.slice(start, i).trim();
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}

export interface HeaderEntry {
  /** Name as received or as set (original case, possibly compact): used when serializing. */
  readonly name: string;
  /** Lower-case long name: used for lookup. */
  readonly key: string;
  value: string;
}

/**
 * Ordered header list. Keeps order and original case of names (so serialization reproduces what
 * was received); lookups are case-insensitive and understand compact forms.
 */
export class Headers {
  private list: HeaderEntry[] = [];
  private _version = 0;

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [n, v] of init) this.append(n, v);
  }

  /** Parser fast path: name/value already validated by the parser. */
  static fromParsed(entries: HeaderEntry[]): Headers {
    const h = new Headers();
    h.list = entries;
    return h;
  }

  get size(): number {
    return this.list.length;
  }

  /** Changes with every mutation: lets the serializer reuse a message's wire form (serializer.ts). */
  get version(): number {
    return this._version;
  }

  has(name: string): boolean {
    const key = canonicalName(name);
    for (const e of this.list) if (e.key === key) return true;
    return false;
  }

  /** First value (for list headers, the first element of the first line). */
  get(name: string): string | undefined {
    const key = canonicalName(name);
    for (const e of this.list) {
      if (e.key !== key) continue;
      if (LIST_HEADERS.has(key)) return splitList(e.value)[0];
      return e.value;
    }
    return undefined;
  }

  /** All values in order; list headers are split on top-level commas. */
  getAll(name: string): string[] {
    const key = canonicalName(name);
    const out: string[] = [];
    const isList = LIST_HEADERS.has(key);
    for (const e of this.list) {
      if (e.key !== key) continue;
      if (isList) for (const v of splitList(e.value)) out.push(v);
      else out.push(e.value);
    }
    return out;
  }

  /** Replaces every line of this header with one line holding `value` (at the first one's place). */
  set(name: string, value: string | number): void {
    this._version++;
    const v = String(value);
    validate(name, v);
    const key = canonicalName(name);
    const idx = this.list.findIndex((e) => e.key === key);
    if (idx < 0) {
      this.list.push({ name, key, value: v });
      return;
    }
    this.list[idx] = { name, key, value: v };
    this.list = this.list.filter((e, i) => i <= idx || e.key !== key);
  }

  /** Adds a line after all existing lines. */
  append(name: string, value: string | number): void {
    this._version++;
    const v = String(value);
    validate(name, v);
    this.list.push({ name, key: canonicalName(name), value: v });
  }

  /** Adds a line before the first line of the same header (or at the very top): e.g. a new top Via. */
  prepend(name: string, value: string | number): void {
    this._version++;
    const v = String(value);
    validate(name, v);
    const key = canonicalName(name);
    const idx = this.list.findIndex((e) => e.key === key);
    this.list.splice(idx < 0 ? 0 : idx, 0, { name, key, value: v });
  }

  /** Removes every line of this header; returns how many were removed. */
  remove(name: string): number {
    this._version++;
    const key = canonicalName(name);
    const before = this.list.length;
    this.list = this.list.filter((e) => e.key !== key);
    return before - this.list.length;
  }

  /** Removes the first value only (the top Via when a line carries several). */
  removeFirst(name: string): string | undefined {
    this._version++;
    const key = canonicalName(name);
    const idx = this.list.findIndex((e) => e.key === key);
    if (idx < 0) return undefined;
    const e = this.list[idx];
    if (LIST_HEADERS.has(key)) {
      const parts = splitList(e.value);
      if (parts.length > 1) {
        this.list[idx] = { name: e.name, key, value: parts.slice(1).join(', ') };
        return parts[0];
      }
    }
    this.list.splice(idx, 1);
    return e.value;
  }

  /** Replaces the first value only (e.g. the top Via after adding received/rport). */
  replaceFirst(name: string, value: string): void {
    this._version++;
    validate(name, value);
    const key = canonicalName(name);
    const idx = this.list.findIndex((e) => e.key === key);
    if (idx < 0) {
      this.list.push({ name, key, value });
      return;
    }
    const e = this.list[idx];
    if (LIST_HEADERS.has(key)) {
      const parts = splitList(e.value);
      if (parts.length > 1) {
        parts[0] = value;
        this.list[idx] = { name: e.name, key, value: parts.join(', ') };
        return;
      }
    }
    this.list[idx] = { name: e.name, key, value };
  }

  /** Lines in order, for serialization or iteration. */
  entries(): readonly HeaderEntry[] {
    return this.list;
  }

  clone(): Headers {
    return Headers.fromParsed(this.list.map((e) => ({ name: e.name, key: e.key, value: e.value })));
  }
}

function validate(name: string, value: string): void {
  if (!isToken(name)) throw new SipHeaderError(`invalid header name ${JSON.stringify(name)}`);
  if (hasLineBreak(value)) throw new SipHeaderError(`CR/LF/NUL in value of header ${name}`);
}
