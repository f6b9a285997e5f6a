import type { DeviceMatch, Directory } from '../../directory/types';
import { parseDigestCredentials } from './digest';
import type { FailedAuthLimiter } from './rate-limiter';
import { AuthOutcome, type DigestVerifier } from './verifier';

/**
 * Digest authentication of a SIP request against the directory's devices, shared by the
 * registrar (401/WWW-Authenticate) and the INVITE authenticator (407/Proxy-Authenticate).
 * No SIP I/O here: the caller turns the decision into a response.
 */

export enum AuthDecision {
  Authenticated = 'authenticated',
  /** Answer 401/407 with `challenge`. */
  Challenge = 'challenge',
  /** Answer 403: bad credentials, unknown user, disabled device. */
  Forbidden = 'forbidden',
  /** Answer 403 without a challenge: the source is rate-limited. */
  Blocked = 'blocked',
}

export type AuthResult =
  | { decision: AuthDecision.Authenticated; match: DeviceMatch }
  | { decision: AuthDecision.Challenge; challenge: string; stale: boolean }
  | { decision: AuthDecision.Forbidden; reason: string }
  | { decision: AuthDecision.Blocked };

export interface AuthRequest {
  /** Source IP the request came from (rate limiting is per address). */
  source: string;
  method: string;
  requestUri: string;
  /** The realm to challenge with and authenticate in. */
  realm: string;
  /** The Authorization / Proxy-Authorization header value, when present. */
  credentials?: string;
  /** When set, the authenticated username must equal it (RFC 3261 10.3 step 3 for REGISTER). */
  expectedUser?: string;
}

export interface SipAuthenticatorDeps {
  directory: Directory;
  verifier: DigestVerifier;
  limiter: FailedAuthLimiter;
  clock?: () => number;
}

export class SipAuthenticator {
  private readonly clock: () => number;

  constructor(private readonly d: SipAuthenticatorDeps) {
    this.clock = d.clock ?? Date.now;
  }

  async authenticate(r: AuthRequest): Promise<AuthResult> {
    const nowMs = this.clock();
    const nowSec = Math.floor(nowMs / 1000);
    if (this.d.limiter.isBlocked(r.source, nowMs)) return { decision: AuthDecision.Blocked };
    const challenge = (stale: boolean): AuthResult =>
      ({ decision: AuthDecision.Challenge, challenge: this.d.verifier.challenge(r.realm, nowSec, stale), stale });
    const fail = (reason: string): AuthResult => {
      this.d.limiter.recordFailure(r.source, nowMs);
      return { decision: AuthDecision.Forbidden, reason };
    };

    if (r.credentials === undefined) return challenge(false);
    const creds = parseDigestCredentials(r.credentials);
    if (!creds) return fail('malformed credentials');
    if (r.expectedUser !== undefined && creds.username !== r.expectedUser) return fail('credentials for another user');
    const match = await this.d.directory.deviceBySipCredentials(creds.username, r.realm);
    // Unknown user and wrong password answer alike, so names cannot be probed.
    if (!match) return fail('unknown user');
    const outcome = this.d.verifier.verify({
      credentials: creds, realm: r.realm, password: match.device.sip.password, method: r.method,
      requestUri: r.requestUri, nowSec,
    });
    switch (outcome) {
      case AuthOutcome.Ok:
        if (match.device.enabled === false || match.account.enabled === false) return { decision: AuthDecision.Forbidden, reason: 'disabled' };
        this.d.limiter.recordSuccess(r.source, nowMs);
        return { decision: AuthDecision.Authenticated, match };
      case AuthOutcome.Stale:
        return challenge(true);
      case AuthOutcome.BadNonce:
        // Not ours (e.g. issued before a secret change): a new challenge costs nothing, and a
        // guessed password cannot be tested without a valid nonce, so it is not a failure.
        return challenge(false);
      case AuthOutcome.Replay:
        this.d.limiter.recordFailure(r.source, nowMs);
        return challenge(false);
      default:
        return fail(outcome);
    }
  }
}
