import type { BindingStore } from './binding-store';
import { secondsLeft, type Binding } from './bindings';

/**
 * Read side of the registrar for the API (`GET /v2/accounts/{id}/registrations`, Kazoo's
 * field names) and for call routing (where to send a call for a device).
 */

export interface RegistrationView {
  account_id: string;
  authorizing_id: string;
  authorizing_type: 'device';
  owner_id?: string;
  username: string;
  realm: string;
  to_user: string;
  to_host: string;
  call_id: string;
  contact: string;
  /** Seconds left. */
  expires: number;
  /** Unix seconds of the first registration of this contact. */
  event_timestamp: number;
  source_ip: string;
  source_port: number;
  transport: string;
  user_agent?: string;
  instance_id?: string;
}

export function toView(b: Binding, nowMs: number): RegistrationView {
  return {
    account_id: b.accountId,
    authorizing_id: b.deviceId,
    authorizing_type: 'device',
    ...(b.ownerId !== undefined ? { owner_id: b.ownerId } : {}),
    username: b.username,
    realm: b.realm,
    to_user: b.username,
    to_host: b.realm,
    call_id: b.callId,
    contact: `<${b.contact}>`,
    expires: secondsLeft(b, nowMs),
    event_timestamp: Math.floor(b.registeredAt / 1000),
    source_ip: b.received.address,
    source_port: b.received.port,
    transport: b.received.transport,
    ...(b.userAgent !== undefined ? { user_agent: b.userAgent } : {}),
    ...(b.instanceId !== undefined ? { instance_id: b.instanceId } : {}),
  };
}

/** The data provider the API mounts under `/v2/accounts/{id}/registrations`. */
export type RegistrationsProvider = (accountId: string) => Promise<RegistrationView[]>;

export function registrationsProvider(store: BindingStore, clock: () => number = Date.now): RegistrationsProvider {
  return async (accountId) => {
    const now = clock();
    return (await store.listByAccount(accountId, now)).map((b) => toView(b, now));
  };
}

/** Where to send a request for a registered contact: its URI, through the address it registered from (NAT). */
export interface RouteTarget {
  /** Request-URI to use. */
  uri: string;
  /**
   * Outbound proxy for drachtio-srf's `proxy` option: the received address (RFC 5626 spirit),
   * or, for a contact registered through an edge proxy, the first Path URI.
   */
  proxy: string;
  /** Route header value for a contact registered with a Path (RFC 3327 6: the Path becomes the route set). */
  route?: string;
  deviceId: string;
  q?: number;
}

/** The URI inside one Path value (`<sip:edge;lr;received=...>`), without its parameters: where to send. */
function pathUri(value: string): string {
  const [uri = '', ...params] = (/<([^>]*)>/.exec(value)?.[1] ?? value).split(';');
  const transport = params.find((p) => /^transport=/i.test(p));
  return transport ? `${uri};${transport}` : uri;
}

export function routeTargets(bindings: readonly Binding[]): RouteTarget[] {
  return [...bindings]
    .sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.updatedAt - a.updatedAt)
    .map((b) => ({
      uri: b.contact,
      proxy: b.path?.[0] !== undefined ? pathUri(b.path[0]) : `sip:${b.received.address}:${b.received.port};transport=${b.received.transport}`,
      ...(b.path !== undefined && b.path.length > 0 ? { route: b.path.join(', ') } : {}),
      deviceId: b.deviceId,
      ...(b.q !== undefined ? { q: b.q } : {}),
    }));
}

/** Route targets of every registered contact of a device. */
export async function deviceTargets(store: BindingStore, deviceId: string, nowMs: number = Date.now()): Promise<RouteTarget[]> {
  return routeTargets(await store.listByDevice(deviceId, nowMs));
}
