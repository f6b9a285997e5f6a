import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Directory, ResourceInfo } from '../../directory/types';
import type { Leases } from '../../state/leases';
import {
  GatewayRegistration, type GatewayTarget, type RegisterReply, type RegisterSender, type RegistrationStatus,
  type RegistrationTiming,
} from './gateway-registration';

/**
 * Keeps one outbound registration per gateway of every resource that asks for it
 * (`register: true`), following the directory: `sync()` starts new ones, restarts changed
 * ones and closes removed ones. `close()` closes them all (idempotent).
 *
 * With several nodes each registration must be made by one node only (two nodes registering
 * one account would each replace or add the other's binding at the provider): a gateway is
 * registered by the node holding its lease (`lease`, in Redis), extended every third of the
 * lease time. A node that dies stops extending; another node's next look takes the lease and
 * registers. A node that finds its lease taken (it was cut off longer than the lease) stops
 * its registration. While Redis is unreachable nothing changes hands.
 */

export interface ResourceRegistrarOptions {
  directory: Directory;
  send: RegisterSender;
  /** host:port other SIP entities reach us at (put in the Contact we register). */
  contactHostPort: string;
  timing: RegistrationTiming;
  logger: Logger;
  /** Re-read the directory this often (0: only when sync() is called). */
  resyncMs?: number;
  /** One node per gateway across the cluster; without it every gateway is registered here. */
  lease?: { leases: Leases; ttlMs: number };
}

/** Gateways of a resource that want registering, as registration targets. */
export function registrationTargets(r: ResourceInfo): GatewayTarget[] {
  if (r.enabled === false) return [];
  return r.gateways.flatMap((g, i) => (g.register === true && g.enabled !== false && g.username && g.password
    ? [{
      resourceId: r.id, accountId: r.account_id, gatewayIndex: i, server: g.server,
      ...(g.port !== undefined ? { port: g.port } : {}), ...(g.transport !== undefined ? { transport: g.transport } : {}),
      ...(g.realm !== undefined ? { realm: g.realm } : {}), username: g.username, password: g.password,
    }]
    : []));
}

const keyOf = (t: GatewayTarget): string => `${t.resourceId}#${t.gatewayIndex}`;

export class ResourceRegistrar {
  private readonly regs = new Map<string, { reg: GatewayRegistration; fingerprint: string }>();
  /** The targets the directory asked for at the last sync. */
  private wanted = new Map<string, GatewayTarget>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly leaseTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly o: ResourceRegistrarOptions) {
    if (o.resyncMs && o.resyncMs > 0) {
      this.timer = setInterval(() => { this.sync().catch((err: unknown) => o.logger.error({ err }, 'resource registration sync failed')); }, o.resyncMs);
      this.timer.unref();
    }
    if (o.lease) {
      this.leaseTimer = setInterval(() => { this.look().catch((err: unknown) => o.logger.error({ err }, 'resource registration lease check failed')); }, Math.max(100, o.lease.ttlMs / 3));
      this.leaseTimer.unref();
    }
  }

  /** Serialised with sync(): extends held leases, takes free ones, stops lost ones. */
  private look(): Promise<void> {
    this.syncing = this.syncing.then(() => this.reconcile(), () => this.reconcile());
    return this.syncing;
  }

  /** Serialised: overlapping calls run one after the other. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.doSync(), () => this.doSync());
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    if (this.closing) return;
    const targets = (await this.o.directory.allResources()).flatMap(registrationTargets);
    const before = this.wanted;
    this.wanted = new Map(targets.map((t) => [keyOf(t), t]));
    for (const key of before.keys()) if (!this.wanted.has(key)) void this.release(key);
    await this.reconcile();
  }

  private async reconcile(): Promise<void> {
    if (this.closing) return;
    for (const [key, entry] of this.regs) {
      const t = this.wanted.get(key);
      if (!t || JSON.stringify(t) !== entry.fingerprint) this.stop(key);
    }
    for (const [key, t] of this.wanted) {
      if (this.closing) return;
      let mine: boolean;
      try {
        mine = await this.hold(key);
      } catch (err) {
        // Redis unreachable: keep what runs (nobody else can take the lease meanwhile).
        this.o.logger.debug({ err, gateway: key }, 'registration lease not checked');
        continue;
      }
      const running = this.regs.has(key);
      if (mine && !running && !this.closing) {
        const contact = `sip:${t.username}@${this.o.contactHostPort}${t.transport === 'tcp' || t.transport === 'tls' ? `;transport=${t.transport}` : ''}`;
        const reg = new GatewayRegistration(t, this.o.send, contact, this.o.timing, this.o.logger.child({ resourceId: t.resourceId }));
        this.regs.set(key, { reg, fingerprint: JSON.stringify(t) });
        if (this.o.lease) this.o.logger.info({ gateway: key }, 'registration lease taken: registering here');
        reg.start();
      } else if (!mine && running) {
        this.o.logger.warn({ gateway: key }, 'registration lease held by another node: stopping this registration');
        this.stop(key);
      }
    }
  }

  private hold(key: string): Promise<boolean> {
    return this.o.lease ? this.o.lease.leases.hold(`trunkreg:${key}`, this.o.lease.ttlMs) : Promise.resolve(true);
  }

  private async release(key: string): Promise<void> {
    await this.o.lease?.leases.release(`trunkreg:${key}`).catch(() => undefined);
  }

  private stop(key: string): void {
    const entry = this.regs.get(key);
    if (!entry) return;
    this.regs.delete(key);
    // The unregister is best-effort and bounded by its own timeout; sync does not wait on it.
    void entry.reg.close();
  }

  /** State of every outbound registration (for the API and metrics). */
  status(): RegistrationStatus[] {
    return [...this.regs.values()].map((e) => e.reg.status());
  }

  statusOfAccount(accountId: string): RegistrationStatus[] {
    return this.status().filter((s) => s.account_id === accountId);
  }

  close(): Promise<void> {
    if (!this.closing) {
      if (this.timer) clearInterval(this.timer);
      if (this.leaseTimer) clearInterval(this.leaseTimer);
      const keys = [...this.regs.keys()];
      const all = [...this.regs.values()].map((e) => e.reg.close());
      this.regs.clear();
      // Unregistered first, then the leases go: another node may take them at once.
      this.closing = Promise.all(all).then(() => Promise.all(keys.map((k) => this.release(k)))).then(() => undefined);
    }
    return this.closing;
  }
}

/** What drachtio-srf hands back for a sent request (its typings omit the request API we use). */
interface SentRequest {
  on(event: 'response', cb: (res: Srf.SrfResponse) => void): void;
}
interface SrfRequester {
  request(uri: string, opts: { method: string; headers: Record<string, string> }, cb: (err: unknown, req: SentRequest) => void): unknown;
}

/** A RegisterSender over drachtio-srf's `srf.request`. */
export function srfRegisterSender(srf: Srf): RegisterSender {
  const requester = srf as unknown as SrfRequester;
  return (uri, headers) => new Promise<RegisterReply>((resolve, reject) => {
    // The callback form on purpose: the response listener must be attached synchronously when
    // the request is sent. With the promise form it is attached a microtask later, and a
    // response that arrives in the same read as the send confirmation is emitted to nobody.
    requester.request(uri, { method: 'REGISTER', headers }, (err, sent) => {
      if (err) { reject(err instanceof Error ? err : new Error(String(err))); return; }
      sent.on('response', (res) => {
        if (res.status < 200) return;
        resolve({
          status: res.status,
          reason: res.reason,
          header: (name) => (res.has(name) ? res.get(name) : undefined),
        });
      });
    });
  });
}
