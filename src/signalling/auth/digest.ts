import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Digest authentication as SIP uses it (RFC 3261 22.4 over RFC 2617, algorithms of
 * RFC 7616). Pure functions: the clock and the secret are parameters, so every outcome is
 * table-testable.
 */

export type DigestAlgorithm = 'MD5' | 'SHA-256';

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  nc?: string;
}

/** Splits `Digest a=b, c="d, e"` into its scheme and parameters (names lower-cased). */
export function parseAuthHeader(value: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(.*)$/s.exec(value);
  if (!m) return { scheme: '', params: {} };
  const params: Record<string, string> = {};
  const rest = m[2];
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && /[\s,]/.test(rest[i])) i++;
    const nameStart = i;
    while (i < rest.length && rest[i] !== '=' && rest[i] !== ',') i++;
    const name = rest.slice(nameStart, i).trim().toLowerCase();
    if (rest[i] !== '=') { i++; continue; }
    i++;
    while (i < rest.length && rest[i] === ' ') i++;
    let val = '';
    if (rest[i] === '"') {
      i++;
      while (i < rest.length && rest[i] !== '"') {
        // quoted-pair (RFC 3261 25.1): backslash escapes the next character.
        if (rest[i] === '\\' && i + 1 < rest.length) i++;
        val += rest[i++];
      }
      i++;
    } else {
      const s = i;
      while (i < rest.length && rest[i] !== ',') i++;
      val = rest.slice(s, i).trim();
    }
    if (name) params[name] = val;
  }
  return { scheme: m[1], params };
}

/** Extracts the fields of a Digest Authorization / Proxy-Authorization header; undefined when incomplete. */
export function parseDigestCredentials(value: string): DigestCredentials | undefined {
  const { scheme, params: p } = parseAuthHeader(value);
  if (scheme.toLowerCase() !== 'digest') return undefined;
  if (!p.username || p.realm === undefined || !p.nonce || !p.uri || !p.response) return undefined;
  return {
    username: p.username, realm: p.realm, nonce: p.nonce, uri: p.uri, response: p.response,
    algorithm: p.algorithm, cnonce: p.cnonce, opaque: p.opaque, qop: p.qop, nc: p.nc,
  };
}

function hash(alg: DigestAlgorithm, s: string): string {
  return createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s, 'utf8').digest('hex');
}

export function normaliseAlgorithm(a: string | undefined): DigestAlgorithm | undefined {
  if (a === undefined || a.toUpperCase() === 'MD5') return 'MD5';
  if (a.toUpperCase() === 'SHA-256') return 'SHA-256';
  return undefined;
}

export interface ResponseInput {
  algorithm?: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** When qop is given, nc and cnonce are required (RFC 2617 3.2.2.1). */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/** request-digest of RFC 2617 3.2.2.1 (qop=auth or none; auth-int is not offered). */
export function computeDigestResponse(i: ResponseInput): string {
  const alg = i.algorithm ?? 'MD5';
  const ha1 = hash(alg, `${i.username}:${i.realm}:${i.password}`);
  const ha2 = hash(alg, `${i.method}:${i.uri}`);
  return i.qop
    ? hash(alg, `${ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`)
    : hash(alg, `${ha1}:${i.nonce}:${ha2}`);
}

// ---------------------------------------------------------------------------------------------
// Stateless nonces: <issued unix seconds, 8 hex><salt, 16 hex><HMAC-SHA256 over both + realm, 32 hex>.
// Any node holding the secret verifies them without storing anything; only the nonce-count
// replay window (NonceCounter) is state, and it is bounded.

const NONCE_RE = /^([0-9a-f]{8})([0-9a-f]{16})([0-9a-f]{32})$/;

function nonceMac(secret: string, issuedHex: string, salt: string, realm: string): string {
  return createHmac('sha256', secret).update(`${issuedHex}:${salt}:${realm.toLowerCase()}`).digest('hex').slice(0, 32);
}

export function createNonce(secret: string, realm: string, nowSec: number, salt = randomBytes(8).toString('hex')): string {
  const issuedHex = (Math.floor(nowSec) >>> 0).toString(16).padStart(8, '0');
  return issuedHex + salt + nonceMac(secret, issuedHex, salt, realm);
}

export enum NonceState {
  Valid = 'valid',
  /** Authentic but older than the lifetime: the client may retry with stale=true (RFC 2617 3.2.1). */
  Stale = 'stale',
  /** Not issued by us (bad format or MAC). */
  Invalid = 'invalid',
}

export function checkNonce(secret: string, realm: string, nonce: string, nowSec: number, lifetimeSec: number): NonceState {
  const m = NONCE_RE.exec(nonce);
  if (!m) return NonceState.Invalid;
  const expected = Buffer.from(nonceMac(secret, m[1], m[2], realm));
  const got = Buffer.from(m[3]);
  if (!timingSafeEqual(expected, got)) return NonceState.Invalid;
  const issued = parseInt(m[1], 16);
  // A nonce from the future (clock skew between nodes beyond a few seconds) is not trusted.
  if (issued > nowSec + 5) return NonceState.Invalid;
  return nowSec - issued > lifetimeSec ? NonceState.Stale : NonceState.Valid;
}

export interface ChallengeInput {
  realm: string;
  nonce: string;
  stale?: boolean;
  algorithm?: DigestAlgorithm;
  opaque?: string;
}

/** The value of WWW-Authenticate / Proxy-Authenticate (RFC 3261 22.1, 22.3). */
export function buildChallenge(c: ChallengeInput): string {
  const parts = [
    `realm="${c.realm}"`,
    `nonce="${c.nonce}"`,
    ...(c.opaque !== undefined ? [`opaque="${c.opaque}"`] : []),
    `algorithm=${c.algorithm ?? 'MD5'}`,
    'qop="auth"',
    ...(c.stale ? ['stale=true'] : []),
  ];
  return `Digest ${parts.join(', ')}`;
}

/** The value of Authorization / Proxy-Authorization answering a challenge (the UAC side). */
export function buildAuthorization(i: ResponseInput & { opaque?: string }): string {
  const response = computeDigestResponse(i);
  const parts = [
    `username="${i.username}"`, `realm="${i.realm}"`, `nonce="${i.nonce}"`, `uri="${i.uri}"`,
    `response="${response}"`, `algorithm=${i.algorithm ?? 'MD5'}`,
    ...(i.opaque !== undefined ? [`opaque="${i.opaque}"`] : []),
    ...(i.qop ? [`qop=${i.qop}`, `nc=${i.nc ?? '00000001'}`, `cnonce="${i.cnonce ?? ''}"`] : []),
  ];
  return `Digest ${parts.join(', ')}`;
}
