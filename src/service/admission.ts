import type Srf from 'drachtio-srf';

/**
 * Whether this node takes a new call, asked once per new INVITE before authentication and by
 * every OPTIONS probe. A refused INVITE gets 503 with Retry-After (RFC 3261 21.5.4), so callers
 * and upstream proxies retry later or elsewhere; an OPTIONS probe is answered as an INVITE would
 * be (RFC 3261 11.2), so an edge proxy probing with it (Kamailio's dispatcher) stops sending
 * calls here while the refusal lasts, except for maxCalls: room comes back with the next hang-up,
 * long before the next probe would put the node back, so each INVITE finds out for itself (the
 * edge tries the next node on its 503). In-dialog requests always pass: calls in progress go on.
 */
export enum Refusal {
  /** SIGTERM: the node is going away (service/shutdown.ts). */
  Draining = 'draining',
  /** calls.maxCalls calls are up. */
  MaxCalls = 'max_calls',
  /** A recorder thread runs late (recorder/overload.ts): another call would cost the ones in progress packets. */
  RecorderOverload = 'recorder_overload',
}

/** Seconds in Retry-After: a draining node is gone for good, the others may clear soon. */
const RETRY_AFTER_SEC: Record<Refusal, number> = {
  [Refusal.Draining]: 30,
  [Refusal.MaxCalls]: 5,
  [Refusal.RecorderOverload]: 10,
};

/** What admission reads; closures, so parts started later are seen. */
export interface AdmissionSources {
  draining(): boolean;
  activeCalls(): number;
  recorderOverloaded(): boolean;
}

// drachtio-srf types a middleware's next as Function.
type Next = Function; // eslint-disable-line @typescript-eslint/no-unsafe-function-type

export class Admission {
  private readonly counts = new Map<Refusal, number>();

  constructor(
    private readonly sources: AdmissionSources,
    /** calls.maxCalls: 0 = no limit. */
    private readonly maxCalls: number,
    private readonly onRefused: (reason: Refusal) => void = () => undefined,
  ) {}

  /** Why a new call would be refused now; undefined when it would be taken. The first reason wins. */
  refusal(): Refusal | undefined {
    if (this.sources.draining()) return Refusal.Draining;
    if (this.maxCalls > 0 && this.sources.activeCalls() >= this.maxCalls) return Refusal.MaxCalls;
    return this.probeRefusal();
  }

  /** What an OPTIONS probe is told: the refusals that last (see the class comment). */
  private probeRefusal(): Refusal | undefined {
    if (this.sources.draining()) return Refusal.Draining;
    if (this.sources.recorderOverloaded()) return Refusal.RecorderOverload;
    return undefined;
  }

  /** New INVITEs refused for `reason` so far. */
  refused(reason: Refusal): number {
    return this.counts.get(reason) ?? 0;
  }

  /** drachtio-srf INVITE middleware, installed before authentication so a refusing node answers at once. */
  inviteGate(): (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next) => void {
    return (req, res, next) => {
      if (req.method !== 'INVITE' || !req.isNewInvite) { next(); return; }
      const reason = this.refusal();
      if (reason === undefined) { next(); return; }
      this.counts.set(reason, this.refused(reason) + 1);
      this.onRefused(reason);
      res.send(503, { headers: { 'Retry-After': String(RETRY_AFTER_SEC[reason]) } });
    };
  }

  /** drachtio-srf OPTIONS handler: 200, or 503 + Retry-After while draining or overloaded. */
  optionsAnswer(): (req: Srf.SrfRequest, res: Srf.SrfResponse) => void {
    return (_req, res) => {
      const reason = this.probeRefusal();
      if (reason === undefined) res.send(200, { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER' } });
      else res.send(503, { headers: { 'Retry-After': String(RETRY_AFTER_SEC[reason]) } });
    };
  }
}
