import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { AuthDecision, type SipAuthenticator } from '../auth/sip-auth';
import { backendUnavailable } from '../errors';
import type { BindingStore } from './binding-store';
import { aorOf, planRegister, secondsLeft, type Binding, type ExpiryLimits, type RegisterPlan } from './bindings';
import { ContactParseError, formatContact, parseContactHeaders, splitTopLevel, type ContactList } from './contact';

/**
 * The registrar (RFC 3261 section 10.3) as a drachtio-srf REGISTER handler: challenge with
 * 401, authenticate against the directory's devices, apply the request to the bindings and
 * answer 200 with every current binding and its remaining time.
 */

export interface RegistrarDeps {
  auth: SipAuthenticator;
  bindings: BindingStore;
  limits: ExpiryLimits;
  logger: Logger;
  clock?: () => number;
}

export interface RegistrarEvents {
  /** Called after a REGISTER changed bindings, and when bindings expire (metrics, events). */
  onChange?: (aor: string, bindings: readonly Binding[]) => void;
}

type SrfReq = Srf.SrfRequest;
type SrfRes = Srf.SrfResponse;

/** The AOR's user and host from the To header (RFC 3261 10.3 step 3). */
function toUserHost(req: SrfReq): { user: string; host: string } | undefined {
  try {
    const to = req.getParsedHeader('To');
    const u = Srf.parseUri(to.uri);
    if (!u || !u.user || !u.host) return undefined;
    return { user: u.user, host: u.host };
  } catch {
    return undefined;
  }
}

export class Registrar {
  private readonly clock: () => number;

  constructor(private readonly d: RegistrarDeps, private readonly events: RegistrarEvents = {}) {
    this.clock = d.clock ?? Date.now;
  }

  /** Installs the handler: `srf.register(...)` is drachtio-srf's method route for REGISTER. */
  mount(srf: Srf): void {
    srf.use('register', (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (res.finalResponseSent) return;
        if (backendUnavailable(err)) {
          // Shared state (Redis) or the store (PostgreSQL) down: the phone should retry soon, here or at another node
          // (RFC 3261 21.5.4). The outage itself is logged once by the connection.
          this.d.logger.debug({ callId: req.get('Call-ID'), reason: (err as Error).message }, 'REGISTER refused: state or store unavailable');
          res.send(503, { headers: { 'Retry-After': '5' } });
          return;
        }
        this.d.logger.error({ err, callId: req.get('Call-ID') }, 'REGISTER handling failed');
        res.send(500);
      });
    });
  }

  async handle(req: SrfReq, res: SrfRes): Promise<void> {
    const callId = req.get('Call-ID') ?? '';
    const log = this.d.logger.child({ callId, source: `${req.source_address}:${req.source_port}` });
    const to = toUserHost(req);
    if (!to) {
      res.send(400, 'Bad To Header', {});
      return;
    }
    const result = await this.d.auth.authenticate({
      source: req.source_address,
      method: 'REGISTER',
      requestUri: req.uri,
      realm: to.host.toLowerCase(),
      credentials: req.has('Authorization') ? req.get('Authorization') : undefined,
      expectedUser: to.user,
    });
    if (result.decision === AuthDecision.Challenge) {
      res.send(401, { headers: { 'WWW-Authenticate': result.challenge } });
      return;
    }
    if (result.decision !== AuthDecision.Authenticated) {
      log.info({ decision: result.decision, reason: result.decision === AuthDecision.Forbidden ? result.reason : 'rate limited', user: to.user, realm: to.host }, 'REGISTER refused');
      res.send(403);
      return;
    }

    let contacts: ContactList;
    try {
      contacts = parseContactHeaders(req.has('Contact') ? [req.get('Contact')] : []);
    } catch (err) {
      if (err instanceof ContactParseError) {
        res.send(400, 'Bad Contact', {});
        return;
      }
      throw err;
    }
    const expiresRaw = req.has('Expires') ? req.get('Expires').trim() : undefined;
    const expiresHeader = expiresRaw !== undefined && /^\d+$/.test(expiresRaw) ? Number(expiresRaw) : undefined;
    const cseq = Number((req.get('CSeq') ?? '').trim().split(/\s+/)[0]);
    // RFC 3327 5.3: the registrar stores the Path with the binding.
    const path = req.has('Path') ? splitTopLevel(req.get('Path')) : [];
    const { account, device } = result.match;
    const aor = aorOf(to.user, to.host);
    const now = this.clock();

    const plan: RegisterPlan = await this.d.bindings.update(aor, now, (current) => {
      // A query (no Contact) returns the bindings unchanged (RFC 3261 10.2.3).
      if (!contacts.wildcard && contacts.contacts.length === 0) return { bindings: null, result: { ok: true, bindings: current, changed: false } };
      const p = planRegister(current, {
        aor, contacts, expiresHeader, callId, cseq: Number.isFinite(cseq) ? cseq : 0,
        received: { address: req.source_address, port: Number(req.source_port), transport: (req.protocol ?? 'udp').toLowerCase() },
        ...(path.length > 0 ? { path } : {}),
        accountId: account.id, deviceId: device.id,
        ...(device.owner_id !== undefined ? { ownerId: device.owner_id } : {}),
        username: to.user, realm: to.host.toLowerCase(),
        ...(req.has('User-Agent') ? { userAgent: req.get('User-Agent') } : {}),
      }, now, this.d.limits);
      return { bindings: p.ok ? p.bindings : null, result: p };
    });

    if (!plan.ok) {
      log.info({ status: plan.status, reason: plan.reason, aor }, 'REGISTER rejected');
      res.send(plan.status, plan.reason, { headers: plan.headers });
      return;
    }
    if (plan.changed) this.events.onChange?.(aor, plan.bindings);
    log.debug({ aor, contacts: plan.bindings.length, accountId: account.id, deviceId: device.id }, 'REGISTER accepted');
    const headers: Record<string, string> = { Date: new Date(now).toUTCString() };
    if (plan.bindings.length > 0) {
      headers.Contact = plan.bindings.map((b) => formatContact(b.contact, { expires: secondsLeft(b, now) })).join(', ');
    }
    // RFC 3327 5.3: the Path is returned only to a UA that said it supports it.
    if (path.length > 0 && /(^|,)\s*path\s*(,|$)/i.test(req.has('Supported') ? req.get('Supported') : '')) headers.Path = path.join(', ');
    res.send(200, { headers });
  }
}
