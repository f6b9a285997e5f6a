import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { InvalidTransitionError, RegisterTimeoutError, TooManyChallengesError } from '../errors';
import { answerChallenge, grantedExpires, parseChallenge, retryDelayMs } from './digest-client';

/**
 * One outbound registration: the B2BUA as a UAC registering to a provider's gateway
 * (RFC 3261 10.2). States are a string enum and `transition` alone moves between them and owns
 * the single timer (refresh, retry or response timeout).
 */

export enum RegState {
  Idle = 'idle',
  Registering = 'registering',
  Registered = 'registered',
  /** Last attempt failed; a retry is scheduled with backoff. */
  Failed = 'failed',
  Closed = 'closed',
}

/** A final response as the registration needs it. */
export interface RegisterReply {
  status: number;
  reason?: string;
  header(name: string): string | undefined;
}

/** Sends one REGISTER and resolves with its final response (rejects on transport errors). */
export type RegisterSender = (uri: string, headers: Record<string, string>) => Promise<RegisterReply>;

export interface GatewayTarget {
  resourceId: string;
  accountId: string;
  gatewayIndex: number;
  server: string;
  port?: number;
  transport?: 'udp' | 'tcp' | 'tls';
  realm?: string;
  username: string;
  password: string;
}

export interface RegistrationTiming {
  expires: number;
  refreshRatio: number;
  retryMinMs: number;
  retryMaxMs: number;
  timeoutSec: number;
}

export interface RegistrationStatus {
  resource_id: string;
  account_id: string;
  gateway: number;
  server: string;
  username: string;
  state: RegState;
  last_status?: number;
  last_error?: string;
  /** Unix ms. */
  registered_until?: number;
  next_attempt_at?: number;
  failures: number;
}

const ALLOWED: Record<RegState, readonly RegState[]> = {
  [RegState.Idle]: [RegState.Registering, RegState.Closed],
  [RegState.Registering]: [RegState.Registered, RegState.Failed, RegState.Closed],
  [RegState.Registered]: [RegState.Registering, RegState.Closed],
  [RegState.Failed]: [RegState.Registering, RegState.Closed],
  [RegState.Closed]: [],
};

export class GatewayRegistration {
  private _state = RegState.Idle;
  private timer: NodeJS.Timeout | undefined;
  private readonly callId = `${randomBytes(12).toString('hex')}@b2bua`;
  private readonly fromTag = randomBytes(6).toString('hex');
  private cseq = 0;
  private expires: number;
  private failures = 0;
  private lastStatus: number | undefined;
  private lastError: string | undefined;
  private registeredUntil: number | undefined;
  private nextAttemptAt: number | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly target: GatewayTarget,
    private readonly send: RegisterSender,
    /** Our contact URI, e.g. sip:trunkuser@203.0.113.5:5060. */
    private readonly contactUri: string,
    private readonly timing: RegistrationTiming,
    private readonly log: Logger,
  ) {
    this.expires = timing.expires;
  }

  get state(): RegState {
    return this._state;
  }

  start(): void {
    if (this._state === RegState.Idle) void this.attempt();
  }

  status(): RegistrationStatus {
    return {
      resource_id: this.target.resourceId, account_id: this.target.accountId, gateway: this.target.gatewayIndex,
      server: this.target.server, username: this.target.username, state: this._state, failures: this.failures,
      ...(this.lastStatus !== undefined ? { last_status: this.lastStatus } : {}),
      ...(this.lastError !== undefined ? { last_error: this.lastError } : {}),
      ...(this.registeredUntil !== undefined ? { registered_until: this.registeredUntil } : {}),
      ...(this.nextAttemptAt !== undefined ? { next_attempt_at: this.nextAttemptAt } : {}),
    };
  }

  /** The single place where state changes and timers are (re)armed. */
  private transition(to: RegState, timer?: { ms: number; fire: () => void }): void {
    if (!ALLOWED[this._state].includes(to)) throw new InvalidTransitionError('registration', this._state, to);
    this._state = to;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAttemptAt = undefined;
    if (timer) {
      this.timer = setTimeout(timer.fire, timer.ms);
      this.timer.unref();
      if (to !== RegState.Registering) this.nextAttemptAt = Date.now() + timer.ms;
    }
  }

  private get domain(): string {
    return this.target.realm ?? this.target.server;
  }

  private get requestUri(): string {
    const t = this.target;
    return `sip:${t.server}${t.port ? `:${t.port}` : ''}${t.transport === 'tcp' || t.transport === 'tls' ? `;transport=${t.transport}` : ''}`;
  }

  private headers(expires: number, auth?: { name: string; value: string }): Record<string, string> {
    this.cseq += 1;
    const aor = `sip:${this.target.username}@${this.domain}`;
    return {
      From: `<${aor}>;tag=${this.fromTag}`,
      To: `<${aor}>`,
      // RFC 3261 10.2.4: one Call-ID for all registrations of this UA, CSeq increasing.
      'Call-ID': this.callId,
      CSeq: `${this.cseq} REGISTER`,
      Contact: `<${this.contactUri}>`,
      Expires: String(expires),
      ...(auth ? { [auth.name]: auth.value } : {}),
    };
  }

  /** Sends REGISTER, answering up to two challenges (the second only when stale=true). */
  private async exchange(expires: number): Promise<RegisterReply> {
    let auth: { name: string; value: string } | undefined;
    for (let round = 0; round < 3; round++) {
      const reply = await this.withTimeout(this.send(this.requestUri, this.headers(expires, auth)));
      if (reply.status !== 401 && reply.status !== 407) return reply;
      const hdr = reply.header(reply.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
      const challenge = hdr ? parseChallenge(hdr) : undefined;
      // Challenged again after answering, without stale=true: the credentials were refused.
      if (!challenge || (auth && !challenge.stale)) return reply;
      auth = {
        name: reply.status === 401 ? 'Authorization' : 'Proxy-Authorization',
        // Every challenge carries a fresh nonce here, so its count starts at 1.
        value: answerChallenge({ challenge, username: this.target.username, password: this.target.password, method: 'REGISTER', uri: this.requestUri, nc: 1 }),
      };
    }
    throw new TooManyChallengesError();
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new RegisterTimeoutError()), this.timing.timeoutSec * 1000);
      t.unref();
      p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
    });
  }

  private async attempt(): Promise<void> {
    if (this._state === RegState.Closed) return;
    this.transition(RegState.Registering);
    let reply: RegisterReply;
    try {
      reply = await this.exchange(this.expires);
    } catch (err) {
      if (this._state !== RegState.Registering) return;
      this.fail(undefined, (err as Error).message);
      return;
    }
    if (this._state !== RegState.Registering) return;
    this.lastStatus = reply.status;
    if (reply.status >= 200 && reply.status < 300) {
      const granted = grantedExpires(reply.header('Contact'), reply.header('Expires'), this.contactUri, this.expires);
      this.failures = 0;
      this.lastError = undefined;
      this.registeredUntil = Date.now() + granted * 1000;
      // Refresh well before expiry; never closer than a few seconds to it.
      const refreshMs = Math.max(1000, Math.min(granted * this.timing.refreshRatio, granted - 5) * 1000);
      this.log.info({ resourceId: this.target.resourceId, server: this.target.server, granted }, 'trunk registered');
      this.transition(RegState.Registered, { ms: refreshMs, fire: () => void this.attempt() });
      return;
    }
    if (reply.status === 423) {
      // RFC 3261 10.2.8: retry with at least Min-Expires.
      const min = Number(reply.header('Min-Expires'));
      if (Number.isFinite(min) && min > this.expires) {
        this.expires = min;
        this.transition(RegState.Failed, { ms: 0, fire: () => void this.attempt() });
        return;
      }
    }
    this.fail(reply.status, `${reply.status} ${reply.reason ?? ''}`.trim());
  }

  private fail(status: number | undefined, error: string): void {
    this.failures += 1;
    this.lastError = error;
    if (status !== undefined) this.lastStatus = status;
    this.registeredUntil = undefined;
    const ms = retryDelayMs(this.failures, this.timing.retryMinMs, this.timing.retryMaxMs, Math.random());
    this.log.warn({ resourceId: this.target.resourceId, server: this.target.server, error, retryInMs: ms }, 'trunk registration failed');
    this.transition(RegState.Failed, { ms, fire: () => void this.attempt() });
  }

  /** Idempotent. Sends a best-effort unregister (Expires: 0) when registered. */
  close(): Promise<void> {
    if (!this.closing) {
      const wasRegistered = this._state === RegState.Registered;
      this.transition(RegState.Closed);
      this.closing = wasRegistered
        ? this.exchange(0).then(() => undefined, () => undefined)
        : Promise.resolve();
    }
    return this.closing;
  }
}
