import { randomBytes } from 'node:crypto';
import { buildAuthorization, normaliseAlgorithm, parseAuthHeader } from '../auth/digest';

/**
 * The UAC side of digest: answer a 401/407 challenge (RFC 3261 22.2). Pure apart from the
 * cnonce, which can be passed in for tests.
 */

export interface Challenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: 'MD5' | 'SHA-256';
  /** Whether the server offered qop=auth. */
  qopAuth: boolean;
  stale: boolean;
}

export function parseChallenge(value: string): Challenge | undefined {
  const { scheme, params } = parseAuthHeader(value);
  if (scheme.toLowerCase() !== 'digest' || params.nonce === undefined || params.realm === undefined) return undefined;
  const algorithm = normaliseAlgorithm(params.algorithm);
  if (!algorithm) return undefined;
  const qops = (params.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  // A server that only offers auth-int cannot be answered (we do not hash bodies).
  if (params.qop !== undefined && !qops.includes('auth')) return undefined;
  return {
    realm: params.realm, nonce: params.nonce, algorithm,
    ...(params.opaque !== undefined ? { opaque: params.opaque } : {}),
    qopAuth: qops.includes('auth'), stale: (params.stale ?? '').toLowerCase() === 'true',
  };
}

export interface AnswerInput {
  challenge: Challenge;
  username: string;
  password: string;
  method: string;
  uri: string;
  /** Nonce count for this nonce, starting at 1 (RFC 2617 3.2.2). */
  nc: number;
  cnonce?: string;
}

export function answerChallenge(a: AnswerInput): string {
  const c = a.challenge;
  return buildAuthorization({
    algorithm: c.algorithm, username: a.username, realm: c.realm, password: a.password, method: a.method,
    uri: a.uri, nonce: c.nonce, ...(c.opaque !== undefined ? { opaque: c.opaque } : {}),
    ...(c.qopAuth ? { qop: 'auth' as const, nc: a.nc.toString(16).padStart(8, '0'), cnonce: a.cnonce ?? randomBytes(8).toString('hex') } : {}),
  });
}

/**
 * Delay before retry number `attempt` (1-based): exponential from `minMs`, capped at `maxMs`,
 * with "equal jitter" (half fixed, half random) so that many trunks failing together do not
 * retry in lockstep. `rand` is in [0, 1).
 */
export function retryDelayMs(attempt: number, minMs: number, maxMs: number, rand: number): number {
  const exp = Math.min(maxMs, minMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp / 2 + (exp / 2) * rand);
}

/** The interval a 200 OK to REGISTER granted for our contact (RFC 3261 10.2.4). */
export function grantedExpires(contactHeader: string | undefined, expiresHeader: string | undefined, ourContactUri: string, requested: number): number {
  if (contactHeader) {
    const ours = ourContactUri.toLowerCase();
    for (const part of contactHeader.split(/,(?=\s*(?:"[^"]*"\s*)?<)/)) {
      const uri = /<([^>]+)>/.exec(part)?.[1]?.toLowerCase();
      const exp = /;\s*expires\s*=\s*(\d+)/i.exec(part.slice(part.indexOf('>') + 1))?.[1];
      if (uri === ours && exp !== undefined) return Number(exp);
    }
  }
  if (expiresHeader !== undefined && /^\s*\d+\s*$/.test(expiresHeader)) return Number(expiresHeader);
  return requested;
}
