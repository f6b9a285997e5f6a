import { isIP } from 'node:net';

/**
 * Outbound network policy for upload URLs: tenants configure the URL, so without it a tenant
 * could make the service PUT to internal services (SSRF) such as cloud metadata endpoints.
 */

export interface Cidr {
  /** As written in the configuration (used in error messages). */
  text: string;
  family: 4 | 6;
  bytes: Buffer;
  prefix: number;
}

export type PolicyAction = 'allow' | 'deny';

export interface PolicyRule {
  cidr: Cidr;
  action: PolicyAction;
  builtin: boolean;
}

export interface PolicyDecision {
  allowed: boolean;
  /** The rule that decided, or 'default-allow'. */
  rule: string;
}

/** Denied unless a configured rule says otherwise. */
export const BUILTIN_DENY: readonly string[] = [
  '0.0.0.0/8', // "this network" (0.0.0.0 reaches the local host on Linux)
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // RFC 6598 CGNAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, includes 169.254.169.254 cloud metadata
  '172.16.0.0/12', // RFC 1918
  '192.0.0.0/24', // IETF protocol assignments
  '192.168.0.0/16', // RFC 1918
  '198.18.0.0/15', // benchmarking
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, includes broadcast
  '::/128', // unspecified
  '::1/128', // loopback
  '64:ff9b:1::/48', // local-use NAT64
  'fc00::/7', // ULA (includes fd00:ec2::254 metadata)
  'fe80::/10', // link-local
  'ff00::/8', // multicast
];

export class CidrSyntaxError extends Error {
  readonly code = 'cidr_invalid';
  constructor(text: string) {
    super(`invalid CIDR ${JSON.stringify(text)}`);
    this.name = 'CidrSyntaxError';
  }
}

function parseIpv4(s: string): Buffer | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(input: string): Buffer | null {
  let s = input;
  const pct = s.indexOf('%'); // zone id (fe80::1%eth0) does not change the address
  if (pct >= 0) s = s.slice(0, pct);
  if (isIP(s) !== 6) return null;
  // Embedded IPv4 in the last 32 bits (::ffff:1.2.3.4): rewrite it as two hex words.
  const lastColon = s.lastIndexOf(':');
  const lastPart = s.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const v4 = parseIpv4(lastPart);
    if (!v4) return null;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const toWords = (h: string): number[] => (h === '' ? [] : h.split(':').map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? parseInt(w, 16) : NaN)));
  const head = toWords(halves[0]);
  const rest = halves.length > 1 ? toWords(halves[1]) : [];
  const fill = halves.length > 1 ? 8 - head.length - rest.length : 0;
  if (fill < 0) return null;
  const words = [...head, ...new Array<number>(fill).fill(0), ...rest];
  if (words.length !== 8 || words.some((w) => Number.isNaN(w))) return null;
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** Parses an IP address to its bytes; IPv4-mapped IPv6 (::ffff:a.b.c.d) is reduced to IPv4. */
export function parseIp(address: string): { family: 4 | 6; bytes: Buffer } | null {
  const v4 = parseIpv4(address);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(address);
  if (!v6) return null;
  // ::ffff:0:0/96 reaches the IPv4 host: judge it as that IPv4 address.
  if (v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return { family: 4, bytes: Buffer.from(v6.subarray(12)) };
  }
  return { family: 6, bytes: v6 };
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addr.trim());
  if (!ip) throw new CidrSyntaxError(text);
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > (isIP(addr.trim()) === 6 && ip.family === 4 ? 128 : max)) {
      throw new CidrSyntaxError(text);
    }
    prefix = Number(p);
    // A mapped IPv6 prefix (::ffff:10.0.0.0/104) counts its bits over the IPv4 part.
    if (isIP(addr.trim()) === 6 && ip.family === 4) {
      if (prefix < 96) throw new CidrSyntaxError(text);
      prefix -= 96;
    }
  }
  return { text, family: ip.family, bytes: ip.bytes, prefix };
}

export function cidrContains(c: Cidr, ip: { family: 4 | 6; bytes: Buffer }): boolean {
  if (c.family !== ip.family) return false;
  const full = Math.floor(c.prefix / 8);
  for (let i = 0; i < full; i++) if (c.bytes[i] !== ip.bytes[i]) return false;
  const rem = c.prefix % 8;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (c.bytes[full] & mask) === (ip.bytes[full] & mask);
}

export class NetworkPolicy {
  private readonly configured: PolicyRule[];
  private readonly builtins: PolicyRule[];

  constructor(allow: readonly string[], deny: readonly string[]) {
    this.configured = [
      ...allow.map((t) => ({ cidr: parseCidr(t), action: 'allow' as const, builtin: false })),
      ...deny.map((t) => ({ cidr: parseCidr(t), action: 'deny' as const, builtin: false })),
    ];
    this.builtins = BUILTIN_DENY.map((t) => ({ cidr: parseCidr(t), action: 'deny' as const, builtin: true }));
  }

  /**
   * Configured rules first (longest prefix wins, deny wins a tie); then the built-in deny list;
   * then allow. An unparsable address is denied.
   */
  check(address: string): PolicyDecision {
    const ip = parseIp(address);
    if (!ip) return { allowed: false, rule: 'unparsable-address' };
    const best = pickRule(this.configured, ip) ?? pickRule(this.builtins, ip);
    if (!best) return { allowed: true, rule: 'default-allow' };
    return { allowed: best.action === 'allow', rule: `${best.action} ${best.cidr.text}${best.builtin ? ' (built-in)' : ''}` };
  }
}

function pickRule(rules: PolicyRule[], ip: { family: 4 | 6; bytes: Buffer }): PolicyRule | null {
  let best: PolicyRule | null = null;
  for (const r of rules) {
    if (!cidrContains(r.cidr, ip)) continue;
    if (!best || r.cidr.prefix > best.cidr.prefix || (r.cidr.prefix === best.cidr.prefix && r.action === 'deny')) best = r;
  }
  return best;
}
