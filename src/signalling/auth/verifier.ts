import { timingSafeEqual } from 'node:crypto';
import {
  checkNonce, computeDigestResponse, createNonce, buildChallenge, normaliseAlgorithm, NonceState,
  type DigestCredentials,
} from './digest';

export { NonceState } from './digest';

/**
 * The nonce-count replay window: the highest nc seen per nonce, so that a captured request
 * cannot be replayed (RFC 2617 3.2.2: the server should check nc increases). Asynchronous
 * because several nodes share it in Redis (src/state/redis-nonces.ts).
 */
export interface NonceWindow {
  /** Records `nc` for `nonce`; false when it is not higher than the last one recorded. */
  accept(nonce: string, nc: number): Promise<boolean>;
}

/**
 * One node's window, in memory. Memory is bounded: beyond
 * `max` nonces the least recently used one is forgotten; forgetting is safe because a
 * forgotten nonce is also refused once its lifetime passes, and refusing it earlier would
 * only cost the client a new challenge.
 */
export class NonceCounter implements NonceWindow {
  private readonly seen = new Map<string, number>();

  constructor(private readonly max: number) {}

  async accept(nonce: string, nc: number): Promise<boolean> {
    const last = this.seen.get(nonce);
    if (last !== undefined && nc <= last) return false;
    this.seen.delete(nonce);
    this.seen.set(nonce, nc);
    if (this.seen.size > this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export enum AuthOutcome {
  Ok = 'ok',
  /** Right password on an expired nonce: challenge again with stale=true. */
  Stale = 'stale',
  /** Not a nonce we issued (bad format or MAC). */
  BadNonce = 'bad_nonce',
  /** Wrong answer on an expired nonce of ours: could be an old capture, proves nothing now. */
  ExpiredNonce = 'expired_nonce',
  /** Wrong answer on a valid, unexpired nonce of ours: the only outcome that is a failed guess. */
  BadResponse = 'bad_response',
  /** qop=auth without cnonce or a well-formed nc (RFC 2617 3.2.2): a protocol error, not a guess. */
  Malformed = 'malformed',
  Replay = 'replay',
  RealmMismatch = 'realm_mismatch',
  UriMismatch = 'uri_mismatch',
  Unsupported = 'unsupported',
}

export interface VerifyInput {
  credentials: DigestCredentials;
  /** The realm we challenged with. */
  realm: string;
  password: string;
  method: string;
  /** Kept for logging and future strict checking; see the note in verify(). */
  requestUri: string;
  nowSec: number;
}

export interface DigestVerifierOptions {
  secret: string;
  nonceLifetimeSec: number;
  maxTrackedNonces: number;
  /** Where nonce-counts are kept; defaults to a NonceCounter of maxTrackedNonces (one node). */
  nonces?: NonceWindow;
}

/** Issues challenges and verifies answers for one process (the secret may be shared by nodes). */
export class DigestVerifier {
  private readonly counter: NonceWindow;

  constructor(private readonly o: DigestVerifierOptions) {
    this.counter = o.nonces ?? new NonceCounter(o.maxTrackedNonces);
  }

  challenge(realm: string, nowSec: number, stale = false): string {
    return buildChallenge({ realm, nonce: createNonce(this.o.secret, realm, nowSec), stale });
  }

  /** Whether `nonce` is one of ours and still valid in `realm` (for answers naming no known user). */
  nonceState(realm: string, nonce: string, nowSec: number): NonceState {
    return checkNonce(this.o.secret, realm, nonce, nowSec, this.o.nonceLifetimeSec);
  }

  async verify(i: VerifyInput): Promise<AuthOutcome> {
    const c = i.credentials;
    const algorithm = normaliseAlgorithm(c.algorithm);
    if (!algorithm) return AuthOutcome.Unsupported;
    if (c.qop !== undefined && c.qop !== 'auth') return AuthOutcome.Unsupported;
    if (c.realm.toLowerCase() !== i.realm.toLowerCase()) return AuthOutcome.RealmMismatch;
    // RFC 2617 3.2.2.5 asks the digest-uri to name the Request-URI's resource, but SIP clients
    // (SIPp among them) put the next-hop address there, and a registrar behind a proxy sees a
    // rewritten Request-URI; as Kamailio and FreeSWITCH do, only its form is checked. The
    // response still covers the uri the client sent, and replays are stopped by the nonce-count.
    if (!/^(sips?|tel):/i.test(c.uri.trim().replace(/^</, ''))) return AuthOutcome.UriMismatch;
    const nonceState = checkNonce(this.o.secret, i.realm, c.nonce, i.nowSec, this.o.nonceLifetimeSec);
    if (nonceState === NonceState.Invalid) return AuthOutcome.BadNonce;
    if (c.qop === 'auth' && (!c.cnonce || !c.nc || !/^[0-9a-fA-F]{8}$/.test(c.nc))) return AuthOutcome.Malformed;
    const expected = computeDigestResponse({
      algorithm, username: c.username, realm: c.realm, password: i.password, method: i.method,
      uri: c.uri, nonce: c.nonce, qop: c.qop === 'auth' ? 'auth' : undefined, nc: c.nc, cnonce: c.cnonce,
    });
    const a = Buffer.from(expected);
    const b = Buffer.from(c.response.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      return nonceState === NonceState.Stale ? AuthOutcome.ExpiredNonce : AuthOutcome.BadResponse;
    }
    // Only a correct answer on an old nonce earns stale=true (RFC 2617 3.2.1): a wrong
    // password must not learn that its nonce merely expired.
    if (nonceState === NonceState.Stale) return AuthOutcome.Stale;
    if (c.qop === 'auth' && !(await this.counter.accept(c.nonce, parseInt(c.nc ?? '0', 16)))) return AuthOutcome.Replay;
    return AuthOutcome.Ok;
  }
}
