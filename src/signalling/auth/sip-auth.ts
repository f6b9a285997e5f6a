import type { DeviceMatch, Directory } from '../../directory/types';
import { parseDigestCredentials } from './digest';
import type { SipFailureLimiter } from './rate-limiter';
import { AuthOutcome, NonceState, type DigestVerifier } from './verifier';

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
  /** Answer 403 without a challenge: this user is rate-limited from this source. */
  Blocked = 'blocked',
}

export type AuthResult =
  | { decision: AuthDecision.Authenticated; match: DeviceMatch }
  | { decision: AuthDecision.Challenge; challenge: string; stale: boolean }
  | { decision: AuthDecision.Forbidden; reason: string }
  | { decision: AuthDecision.Blocked };

export interface AuthRequest {
  /** Source IP the request came from (rate limiting is per address and user). */
  source: string;
  method: string;
  requestUri: string;
  /** The realm to challenge with and authenticate in. */
  realm: string;
  /** The Authorization / Proxy-Authorization header value, when present. */
  credentials?: string;
  /** When set, the authenticated username must equal it (RFC 3261 10.3 step 3 for REGISTER). */
  expectedUser?: string;
  /** The user a request without credentials claims to be (the From user of an INVITE): checked against blocks. */
  claimedUser?: string;
}

export interface SipAuthenticatorDeps {
  directory: Directory;
  verifier: DigestVerifier;
  limiter: SipFailureLimiter;
  clock?: () => number;
}

/**
 * What counts as a failure: only a wrong answer computed over a valid, unexpired nonce this
 * service issued (HMAC-checked) for a device that exists. Anything else proves nothing about a
 * password and can be sent blind or with a spoofed UDP source, so it never counts: a missing,
 * forged or expired nonce gets a new challenge, a replayed nonce-count too, and protocol errors
 * (malformed header, another user's credentials in a REGISTER, wrong realm) get 403.
 */
export class SipAuthenticator {
  private readonly clock: () => number;

  constructor(private readonly d: SipAuthenticatorDeps) {
    this.clock = d.clock ?? Date.now;
  }

  async authenticate(r: AuthRequest): Promise<AuthResult> {
    const nowMs = this.clock();
    const nowSec = Math.floor(nowMs / 1000);
    const subject = (user: string): string => `${user}@${r.realm}`;
    const challenge = (stale: boolean): AuthResult =>
      ({ decision: AuthDecision.Challenge, challenge: this.d.verifier.challenge(r.realm, nowSec, stale), stale });
    const forbid = (reason: string): AuthResult => ({ decision: AuthDecision.Forbidden, reason });

    if (r.credentials === undefined) {
      const claimed = r.expectedUser ?? r.claimedUser;
      if (claimed !== undefined && await this.d.limiter.isBlocked(r.source, subject(claimed), nowMs)) return { decision: AuthDecision.Blocked };
      return challenge(false);
    }
    const creds = parseDigestCredentials(r.credentials);
    if (!creds) return forbid('malformed credentials');
    if (r.expectedUser !== undefined && creds.username !== r.expectedUser) return forbid('credentials for another user');
    const key = subject(creds.username);
    if (await this.d.limiter.isBlocked(r.source, key, nowMs)) return { decision: AuthDecision.Blocked };
    const match = await this.d.directory.deviceBySipCredentials(creds.username, r.realm);
    if (!match) {
      // Not counted. With a nonce of ours it is answered like a wrong password (403), so
      // names cannot be probed; with any other nonce it is challenged like everyone else.
      return this.d.verifier.nonceState(r.realm, creds.nonce, nowSec) === NonceState.Valid ? forbid('unknown user') : challenge(false);
    }
    const outcome = await this.d.verifier.verify({
      credentials: creds, realm: r.realm, password: match.device.sip.password, method: r.method,
      requestUri: r.requestUri, nowSec,
    });
    switch (outcome) {
      case AuthOutcome.Ok:
        await this.d.limiter.recordSuccess(r.source, key, nowMs);
        if (match.device.enabled === false || match.account.enabled === false) return forbid('disabled');
        return { decision: AuthDecision.Authenticated, match };
      case AuthOutcome.Stale:
        return challenge(true);
      case AuthOutcome.BadResponse:
        // The one outcome that is a failed guess (see the class comment).
        await this.d.limiter.recordFailure(r.source, key, nowMs);
        return forbid(outcome);
      case AuthOutcome.BadNonce:
      case AuthOutcome.ExpiredNonce:
      case AuthOutcome.Replay:
        // Not a nonce of ours, an old one (e.g. a capture), or a replayed nonce-count: a new
        // challenge costs nothing, and no password was tested against a nonce we stand behind.
        return challenge(false);
      default:
        return forbid(outcome);
    }
  }
}
