import { randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { SignallingConfig } from '../config/sections/signalling';
import type { Directory } from '../directory/types';
import type { Leases } from '../state/leases';
import { authenticateInvite } from './auth/invite-auth';
import { FailedAuthLimiter, type SipFailureLimiter } from './auth/rate-limiter';
import { SipAuthenticator } from './auth/sip-auth';
import { DigestVerifier, type NonceWindow } from './auth/verifier';
import { MemoryBindingStore, type BindingStore } from './registrar/binding-store';
import { Registrar, type RegistrarEvents } from './registrar/registrar';
import { registrationsProvider, type RegistrationsProvider } from './registrar/registrations';
import { ResourceRegistrar, srfRegisterSender } from './uac/resource-registrar';

export { callerOf, identifyCaller, authenticateInvite } from './auth/invite-auth';
export { trunkMatch, rankTrunks, TrunkMatch } from './auth/trunk-match';
export { deviceTargets, routeTargets, registrationsProvider, type RouteTarget, type RegistrationView } from './registrar/registrations';
export { classifyDirection, CalleeKind, CallerKind, Network, type Callee, type Caller, type Direction } from './direction';
export { MemoryBindingStore, type BindingStore, type ExpiredBindings } from './registrar/binding-store';
export type { Binding } from './registrar/bindings';
export { FailedAuthLimiter, type SipFailureLimiter, type RateLimiterOptions } from './auth/rate-limiter';
export { NonceCounter, type NonceWindow } from './auth/verifier';
export { SqliteBindingStore, type SqliteBindingStoreOptions } from './registrar/sqlite-binding-store';
export { RegState, type RegistrationStatus } from './uac/gateway-registration';
export { SignallingError, InvalidTransitionError, RegisterTimeoutError, TooManyChallengesError } from './errors';
export { ContactParseError } from './registrar/contact';

type ReadonlyDeep<T> = { readonly [K in keyof T]: T[K] extends object ? ReadonlyDeep<T[K]> : T[K] };

export interface SignallingOptions {
  config: ReadonlyDeep<SignallingConfig>;
  directory: Directory;
  logger: Logger;
  /** Defaults to a MemoryBindingStore (one node, forgotten on restart); the service passes a SqliteBindingStore. */
  bindings?: BindingStore;
  /** Defaults to a FailedAuthLimiter from config (one node); several nodes share a Redis one. */
  limiter?: SipFailureLimiter;
  /** Defaults to a NonceCounter of auth.maxTrackedNonces (one node); several nodes share a Redis one. */
  nonces?: NonceWindow;
  /** host:port put in the Contact of outbound trunk registrations. */
  contactHostPort: string;
  events?: RegistrarEvents;
  /** Provider registrations made by one node of the cluster at a time (src/state leases). */
  registrationLease?: { leases: Leases; ttlMs: number };
}

/**
 * Everything signalling needs, wired from configuration: mount() installs the registrar and
 * the INVITE authenticator on a connected Srf and starts trunk registrations; close() stops
 * them (idempotent).
 */
export class Signalling {
  readonly bindings: BindingStore;
  readonly limiter: SipFailureLimiter;
  readonly verifier: DigestVerifier;
  readonly auth: SipAuthenticator;
  readonly registrar: Registrar;
  readonly registrations: RegistrationsProvider;
  private resourceRegistrar: ResourceRegistrar | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: SignallingOptions) {
    const c = o.config;
    this.bindings = o.bindings ?? new MemoryBindingStore(30_000, Date.now, (changes) => {
      for (const ch of changes) o.events?.onChange?.(ch.aor, ch.remaining);
    });
    this.limiter = o.limiter ?? new FailedAuthLimiter({
      maxFailures: c.rateLimit.maxFailures, windowMs: c.rateLimit.windowSec * 1000,
      blockMs: c.rateLimit.blockSec * 1000, maxKeysPerSource: c.rateLimit.maxKeysPerSource, maxEntries: c.rateLimit.maxEntries,
    });
    this.verifier = new DigestVerifier({
      // A random per-process secret still works on one node; several nodes must share one.
      secret: c.auth.nonceSecret || randomBytes(32).toString('hex'),
      nonceLifetimeSec: c.auth.nonceLifetimeSec, maxTrackedNonces: c.auth.maxTrackedNonces,
      ...(o.nonces ? { nonces: o.nonces } : {}),
    });
    this.auth = new SipAuthenticator({ directory: o.directory, verifier: this.verifier, limiter: this.limiter });
    this.registrar = new Registrar({
      auth: this.auth, bindings: this.bindings, limits: { ...c.registrar }, logger: o.logger.child({ part: 'registrar' }),
    }, o.events);
    this.registrations = registrationsProvider(this.bindings);
  }

  /** Installs REGISTER handling and INVITE authentication (call handlers go after this). */
  mount(srf: Srf): void {
    this.registrar.mount(srf);
    srf.use('invite', authenticateInvite({
      directory: this.o.directory, auth: this.auth, logger: this.o.logger.child({ part: 'invite-auth' }),
    }));
  }

  /** Starts registering to trunks that ask for it (needs a connected Srf). */
  async startTrunkRegistrations(srf: Srf, resyncMs = 60_000): Promise<ResourceRegistrar> {
    if (!this.resourceRegistrar) {
      this.resourceRegistrar = new ResourceRegistrar({
        directory: this.o.directory, send: srfRegisterSender(srf), contactHostPort: this.o.contactHostPort,
        timing: { ...this.o.config.trunkRegistration }, logger: this.o.logger.child({ part: 'trunk-registrar' }), resyncMs,
        ...(this.o.registrationLease ? { lease: this.o.registrationLease } : {}),
      });
      await this.resourceRegistrar.sync();
    }
    return this.resourceRegistrar;
  }

  get trunkRegistrations(): ResourceRegistrar | undefined {
    return this.resourceRegistrar;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        await this.resourceRegistrar?.close();
        await this.bindings.close();
      })();
    }
    return this.closing;
  }
}
