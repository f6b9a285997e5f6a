import type { ResourceInfo } from '../../directory/types';

/**
 * How strongly a resource (trunk) claims a source address. Kazoo recognises trunks by source
 * IP; an entry can be narrowed to one port (`inbound_ips: ["ip:port"]`, or a gateway with a
 * `port` that equals the source port), which matters when phones and a trunk share an address
 * (a PBX behind one NAT, or loopback in tests).
 */
export enum TrunkMatch {
  None = 'none',
  /** Same IP, any port. */
  Address = 'address',
  /** Same IP and port. */
  AddressAndPort = 'address_and_port',
}

export function trunkMatch(r: ResourceInfo, ip: string, port: number): TrunkMatch {
  if (r.enabled === false) return TrunkMatch.None;
  const inbound = r.inbound_ips ?? [];
  const gws = r.gateways.filter((g) => g.enabled !== false && g.server === ip);
  if (inbound.includes(`${ip}:${port}`) || gws.some((g) => g.port === port)) return TrunkMatch.AddressAndPort;
  if (inbound.includes(ip) || gws.length > 0) return TrunkMatch.Address;
  return TrunkMatch.None;
}

/** Candidates split by strength, each list deduplicated by id, in the order given. */
export function rankTrunks(resources: readonly ResourceInfo[], ip: string, port: number): { exact: ResourceInfo[]; address: ResourceInfo[] } {
  const seen = new Set<string>();
  const exact: ResourceInfo[] = [];
  const address: ResourceInfo[] = [];
  for (const r of resources) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    const m = trunkMatch(r, ip, port);
    if (m === TrunkMatch.AddressAndPort) exact.push(r);
    else if (m === TrunkMatch.Address) address.push(r);
  }
  return { exact, address };
}
