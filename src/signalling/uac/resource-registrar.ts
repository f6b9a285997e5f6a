import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Directory, ResourceInfo } from '../../directory/types';
import {
  GatewayRegistration, type GatewayTarget, type RegisterReply, type RegisterSender, type RegistrationStatus,
  type RegistrationTiming,
} from './gateway-registration';

/**
 * Keeps one outbound registration per gateway of every resource that asks for it
 * (`register: true`), following the directory: `sync()` starts new ones, restarts changed
 * ones and closes removed ones. `close()` closes them all (idempotent).
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
  private readonly timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly o: ResourceRegistrarOptions) {
    if (o.resyncMs && o.resyncMs > 0) {
      this.timer = setInterval(() => { this.sync().catch((err: unknown) => o.logger.error({ err }, 'resource registration sync failed')); }, o.resyncMs);
      this.timer.unref();
    }
  }

  /** Serialised: overlapping calls run one after the other. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.doSync(), () => this.doSync());
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    if (this.closing) return;
    const targets = (await this.o.directory.allResources()).flatMap(registrationTargets);
    const wanted = new Map(targets.map((t) => [keyOf(t), t]));
    for (const [key, entry] of this.regs) {
      const t = wanted.get(key);
      if (!t || JSON.stringify(t) !== entry.fingerprint) {
        this.regs.delete(key);
        // The unregister is best-effort and bounded by its own timeout; sync does not wait on it.
        void entry.reg.close();
      }
    }
    for (const [key, t] of wanted) {
      if (this.regs.has(key) || this.closing) continue;
      const contact = `sip:${t.username}@${this.o.contactHostPort}${t.transport === 'tcp' || t.transport === 'tls' ? `;transport=${t.transport}` : ''}`;
      const reg = new GatewayRegistration(t, this.o.send, contact, this.o.timing, this.o.logger.child({ resourceId: t.resourceId }));
      this.regs.set(key, { reg, fingerprint: JSON.stringify(t) });
      reg.start();
    }
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
      const all = [...this.regs.values()].map((e) => e.reg.close());
      this.regs.clear();
      this.closing = Promise.all(all).then(() => undefined);
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
