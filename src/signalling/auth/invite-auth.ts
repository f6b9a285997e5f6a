import Srf from 'drachtio-srf';
import { backendUnavailable } from '../errors';
import type { Logger } from 'pino';
import { dialledNumber } from '../../calls/callflow';
import type { Directory, ResourceInfo } from '../../directory/types';
import { CallerKind, type Caller } from '../direction';
import { AuthDecision, type SipAuthenticator } from './sip-auth';
import { rankTrunks } from './trunk-match';

/**
 * Who is calling, decided before any call handling: an INVITE from a resource's gateway
 * address is that trunk (offnet caller); anything else must answer a 407 digest challenge as
 * one of our devices (onnet caller, RFC 3261 22.3 proxy-style authentication, as the B2BUA
 * sits in the path of the call). A From domain that is no account's realm, bad credentials,
 * or a user rate-limited from this source get 403. See identifyCaller for the order when a phone and a trunk
 * share an address.
 */

const callers = new WeakMap<object, Caller>();

/** The caller bound to an INVITE by authenticateInvite. */
export function callerOf(req: object): Caller | undefined {
  return callers.get(req);
}

export interface InviteAuthDeps {
  directory: Directory;
  auth: SipAuthenticator;
  logger: Logger;
}

// drachtio-srf types `next` as Function; narrowed where called.
type Next = Function; // eslint-disable-line @typescript-eslint/no-unsafe-function-type

function fromUserHost(req: Srf.SrfRequest): { user?: string; host: string } | undefined {
  try {
    const u = Srf.parseUri(req.getParsedHeader('From').uri);
    if (!u?.host) return undefined;
    return { ...(u.user ? { user: u.user } : {}), host: u.host.toLowerCase() };
  } catch {
    return undefined;
  }
}

/** Picks the trunk an INVITE came through; with several, the one whose account owns the DID. */
async function pickResource(dir: Directory, matches: ResourceInfo[], requestUri: string): Promise<ResourceInfo> {
  if (matches.length === 1) return matches[0];
  const cf = await dir.callflowByNumberAnyAccount(dialledNumber(requestUri));
  return matches.find((r) => r.account_id === cf?.account_id) ?? matches[0];
}

/**
 * Decides the caller; returns the SIP answer to send instead when the INVITE is not admitted.
 * Order: a trunk claiming this exact address and port; then a request carrying
 * Proxy-Authorization, or one whose From names one of our devices, is a device that must
 * prove itself; then a trunk claiming the address; else digest in the From domain.
 */
export async function identifyCaller(
  d: InviteAuthDeps, req: Srf.SrfRequest,
): Promise<{ caller: Caller } | { status: number; headers?: Record<string, string>; reason: string }> {
  const source = req.source_address;
  const port = Number(req.source_port);
  const found = [...await d.directory.resourcesByAddress(`${source}:${port}`), ...await d.directory.resourcesByAddress(source)];
  const { exact, address } = rankTrunks(found, source, port);
  const from = fromUserHost(req);
  // A trunk of a suspended account (it or an ancestor disabled) is refused outright with 403,
  // rather than treated as an unknown source: its calls are not guesses to rate-limit.
  const asTrunk = async (list: ResourceInfo[]): Promise<{ caller: Caller } | { status: number; reason: string } | undefined> => {
    if (list.length === 0) return undefined;
    const resource = await pickResource(d.directory, list, req.uri);
    const account = await d.directory.accountById(resource.account_id);
    if (!account) return undefined;
    if (account.enabled === false) return { status: 403, reason: 'account disabled' };
    return { caller: { kind: CallerKind.Trunk, account, resource, sourceAddress: source } };
  };
  const strict = await asTrunk(exact);
  if (strict) return strict;
  if (address.length > 0 && !req.has('Proxy-Authorization')) {
    const claimsDevice = from?.user !== undefined && (await d.directory.deviceBySipCredentials(from.user, from.host)) !== undefined;
    const loose = claimsDevice ? undefined : await asTrunk(address);
    if (loose) return loose;
  }

  const realm = from?.host;
  const account = realm ? await d.directory.accountByRealm(realm) : undefined;
  if (!realm || !account) {
    // No device can authenticate in an unknown domain: refuse without a challenge. Not counted
    // as a failure: it proves nothing and its UDP source may be spoofed.
    return { status: 403, reason: 'unknown source' };
  }
  const r = await d.auth.authenticate({
    source, method: 'INVITE', requestUri: req.uri, realm,
    credentials: req.has('Proxy-Authorization') ? req.get('Proxy-Authorization') : undefined,
    ...(from?.user !== undefined ? { claimedUser: from.user } : {}),
  });
  switch (r.decision) {
    case AuthDecision.Challenge:
      return { status: 407, headers: { 'Proxy-Authenticate': r.challenge }, reason: r.stale ? 'stale nonce' : 'challenge' };
    case AuthDecision.Blocked:
      return { status: 403, reason: 'rate limited' };
    case AuthDecision.Forbidden:
      return { status: 403, reason: r.reason };
    case AuthDecision.Authenticated: {
      const { device } = r.match;
      // Only an owner of the device's own account applies (a document written before the API
      // checked owner_id could name another tenant's user, whose settings must not apply).
      const user = device.owner_id !== undefined ? await d.directory.userById(device.owner_id) : undefined;
      const owner = user?.account_id === device.account_id ? user : undefined;
      return { caller: { kind: CallerKind.Device, account: r.match.account, device, ...(owner ? { owner } : {}) } };
    }
  }
}

/** drachtio-srf middleware: `srf.use('invite', authenticateInvite(deps))` before the call handler. */
export function authenticateInvite(d: InviteAuthDeps): (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next) => void {
  return (req, res, next) => {
    // Only dialog-creating INVITEs are authenticated here; in-dialog requests belong to a dialog.
    if (req.method !== 'INVITE' || !req.isNewInvite) { next(); return; }
    identifyCaller(d, req).then((r) => {
      if ('caller' in r) {
        callers.set(req, r.caller);
        next();
        return;
      }
      const log = d.logger.child({ callId: req.get('Call-ID'), source: `${req.source_address}:${req.source_port}` });
      if (r.status !== 407) log.info({ status: r.status, reason: r.reason }, 'INVITE refused');
      res.send(r.status, r.headers ? { headers: r.headers } : {});
    }).catch((err: unknown) => {
      if (res.finalResponseSent) return;
      if (backendUnavailable(err)) {
        d.logger.debug({ callId: req.get('Call-ID'), reason: (err as Error).message }, 'INVITE refused: state or store unavailable');
        res.send(503, { headers: { 'Retry-After': '5' } });
        return;
      }
      d.logger.error({ err, callId: req.get('Call-ID') }, 'INVITE authentication failed');
      res.send(500);
    });
  };
}
