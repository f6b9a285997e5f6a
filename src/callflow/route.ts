import type { CallflowInfo, Directory, GatewayInfo, ResourceInfo } from '../directory/types';
import { CallerKind, type Caller } from '../signalling/direction';
import { lookupCallflow, MatchKind, type CallflowMatch } from './lookup';

/**
 * Where a new call goes (issue 4 item 1, the decision without the SIP legs):
 *  - from a device: the account's callflow for the dialled number; else, when one of the
 *    account's resources has a rule matching the number, offnet through those trunks; else 404;
 *  - from a trunk: the callflow listing the dialled number (DID) in any account; else 404.
 */

export enum RouteKind {
  Callflow = 'callflow',
  Offnet = 'offnet',
  NotFound = 'not_found',
}

/** One gateway to try, in failover order. */
export interface TrunkTarget {
  resourceId: string;
  accountId: string;
  /** Request-URI for the outbound leg. */
  uri: string;
  gateway: GatewayInfo;
  /** Credentials if the provider challenges our INVITE. */
  auth?: { username: string; password: string };
}

export type Route =
  | { kind: RouteKind.Callflow; accountId: string; match: CallflowMatch }
  | { kind: RouteKind.Offnet; accountId: string; targets: TrunkTarget[] }
  | { kind: RouteKind.NotFound };

const ruleCache = new Map<string, RegExp | null>();
function rule(r: string): RegExp | null {
  let re = ruleCache.get(r);
  if (re === undefined) {
    try { re = new RegExp(r); } catch { re = null; }
    if (ruleCache.size > 10_000) ruleCache.clear();
    ruleCache.set(r, re);
  }
  return re;
}

export function gatewayUri(number: string, g: GatewayInfo): string {
  return `sip:${g.prefix ?? ''}${number}@${g.server}${g.port ? `:${g.port}` : ''}${g.transport === 'tcp' ? ';transport=tcp' : ''}`;
}

/**
 * Pure: the gateways to try for `number`, resources whose rules match it ordered by
 * weight_cost (lower first, then as listed), each resource's enabled gateways in order.
 */
export function trunkTargets(resources: readonly ResourceInfo[], number: string): TrunkTarget[] {
  return resources
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.enabled !== false && r.rules.some((x) => rule(x)?.test(number) === true))
    .sort((a, b) => (a.r.weight_cost ?? 50) - (b.r.weight_cost ?? 50) || a.i - b.i)
    .flatMap(({ r }) => r.gateways.filter((g) => g.enabled !== false).map((g) => ({
      resourceId: r.id, accountId: r.account_id, uri: gatewayUri(number, g), gateway: g,
      ...(g.username && g.password !== undefined ? { auth: { username: g.username, password: g.password } } : {}),
    })));
}

export async function resolveRoute(dir: Directory, caller: Caller, number: string): Promise<Route> {
  if (caller.kind === CallerKind.Trunk) {
    const cf: CallflowInfo | undefined = await dir.callflowByNumberAnyAccount(number);
    if (cf) return { kind: RouteKind.Callflow, accountId: cf.account_id, match: { callflow: cf, kind: MatchKind.Number } };
    return { kind: RouteKind.NotFound };
  }
  const accountId = caller.account.id;
  const match = await lookupCallflow(dir, accountId, number);
  if (match) return { kind: RouteKind.Callflow, accountId, match };
  const targets = trunkTargets(await dir.resourcesOfAccount(accountId), number);
  return targets.length > 0 ? { kind: RouteKind.Offnet, accountId, targets } : { kind: RouteKind.NotFound };
}
