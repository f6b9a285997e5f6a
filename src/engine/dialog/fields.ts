/**
 * Small pure helpers over SIP header field values the dialog layer needs (tags, name-addr
 * URIs, host/port of a URI). Lenient: they work on the text as received.
 */
import { newCallId as coreCallId, newTag as coreTag } from '../sip';
import type { Endpoint, TransportName } from '../drachtio/sip-port';

/** The `tag` parameter of a From/To value (RFC 3261 19.3), outside any <...>. */
export function tagOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const close = value.lastIndexOf('>');
  const params = close >= 0 ? value.slice(close + 1) : value.slice(value.indexOf(';') >= 0 ? value.indexOf(';') : value.length);
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(params);
  return m ? m[1] : undefined;
}

export function withTag(value: string, tag: string): string {
  return tagOf(value) ? value : `${value};tag=${tag}`;
}

/** The URI of a name-addr or addr-spec (`"A" <sip:a@h>;tag=x` -> `sip:a@h`). */
export function uriOf(value: string): string {
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    return value.slice(lt + 1, gt < 0 ? undefined : gt).trim();
  }
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim();
}

/** Splits a comma-separated header value, respecting quotes and <...> (Record-Route, Contact). */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** host, port and transport of a sip: or sips: URI (sips: is TLS, RFC 3261 26.2.2); null when it is neither. */
export function hostPortOf(uri: string): { host: string; port: number | undefined; transport: TransportName | undefined } | null {
  const m = /^(sips?):(?:[^@]*@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?([^?>]*)/i.exec(uri.trim());
  if (!m) return null;
  const t = /;\s*transport=(udp|tcp|tls)/i.exec(m[4] ?? '');
  const transport = m[1].toLowerCase() === 'sips' ? 'tls' : t ? (t[1].toLowerCase() as TransportName) : undefined;
  return { host: m[2], port: m[3] ? Number(m[3]) : undefined, transport };
}

/** Where a request to this URI goes when it names an IP literal (else null: leave it to the core). */
export function endpointOf(uri: string, fallback: TransportName): Endpoint | null {
  const hp = hostPortOf(uri);
  if (!hp || !/^[\d.]+$/.test(hp.host)) return null;
  const transport = hp.transport ?? fallback;
  return { transport, address: hp.host, port: hp.port ?? (transport === 'tls' ? 5061 : 5060) };
}

/** Whether a Route/Record-Route entry is a loose router (RFC 3261 16.12). */
export function isLooseRoute(entry: string): boolean {
  return /;\s*lr\b/i.test(uriOf(entry));
}

/** A tag from a strong random source (RFC 3261 19.3 asks for at least 32 bits of randomness). */
export function newTag(): string {
  return coreTag();
}

/** 128 random bits, drawn from the core's pooled CSPRNG buffer (no syscall per id). */
export function newCallId(): string {
  return coreCallId();
}

/** `<seq> <METHOD>` of a CSeq value, or null. */
export function parseCSeq(value: string | undefined): { seq: number; method: string } | null {
  const m = /^\s*(\d+)\s+([A-Za-z]+)\s*$/.exec(value ?? '');
  return m ? { seq: Number(m[1]), method: m[2].toUpperCase() } : null;
}
