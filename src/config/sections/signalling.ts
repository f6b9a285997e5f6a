import { Type, type Static } from '@sinclair/typebox';

/** Registrar, digest authentication and trunk registration settings. */
export const SignallingSection = Type.Object({
  auth: Type.Object({
    /**
     * Secret keying the nonce HMAC. Nonces carry their own timestamp and MAC so that any node
     * sharing the secret can verify them without storage. Empty: a random secret per process.
     */
    nonceSecret: Type.String({ default: '' }),
    /** Seconds a nonce stays valid; an older but authentic nonce gets stale=true (RFC 2617 3.2.1). */
    nonceLifetimeSec: Type.Integer({ minimum: 5, maximum: 3600, default: 300 }),
    /** How many nonces' nonce-count state is remembered for replay protection. */
    maxTrackedNonces: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 100_000 }),
  }, { default: {} }),
  rateLimit: Type.Object({
    /**
     * Failed authentications of one user (user@realm) from one source IP within `windowSec`
     * before that user is refused outright from that address. Only a wrong answer over a valid
     * nonce we issued counts (forged nonces, unknown users, missing credentials never do).
     */
    maxFailures: Type.Integer({ minimum: 1, default: 10 }),
    windowSec: Type.Integer({ minimum: 1, default: 60 }),
    /** How long a (source, user) stays blocked once over the limit. */
    blockSec: Type.Integer({ minimum: 1, default: 300 }),
    /** Users tracked per source address (unblocked ones evicted first; all blocked: the address is refused for new users). */
    maxKeysPerSource: Type.Integer({ minimum: 1, default: 32 }),
    /** Upper bound on tracked (source, user) keys in all (least recently touched evicted first). */
    maxEntries: Type.Integer({ minimum: 16, default: 100_000 }),
  }, { default: {} }),
  registrar: Type.Object({
    /** RFC 3261 10.3 step 7: a registrar may refuse too short intervals with 423. */
    minExpires: Type.Integer({ minimum: 1, default: 60 }),
    maxExpires: Type.Integer({ minimum: 1, default: 3600 }),
    defaultExpires: Type.Integer({ minimum: 1, default: 3600 }),
    /** Contacts kept per address-of-record; the oldest is dropped beyond this. */
    maxContactsPerAor: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  }, { default: {} }),
  trunkRegistration: Type.Object({
    /** Requested registration interval towards providers. */
    expires: Type.Integer({ minimum: 30, default: 3600 }),
    /** Refresh when this fraction of the granted interval has passed (RFC 3261 10.2.4 suggests before expiry). */
    refreshRatio: Type.Number({ exclusiveMinimum: 0, maximum: 0.95, default: 0.8 }),
    retryMinMs: Type.Integer({ minimum: 10, default: 2000 }),
    retryMaxMs: Type.Integer({ minimum: 10, default: 300_000 }),
    /** Seconds to wait for a final response before treating the attempt as failed. */
    timeoutSec: Type.Integer({ minimum: 1, default: 32 }),
  }, { default: {} }),
  edge: Type.Object({
    /**
     * IP addresses of the SIP edge proxies (Kamailio, deploy/kamailio/) in front of the nodes.
     * Only a request whose network source is one of them may name its real source in
     * `header`; from anyone else the header is ignored (it could be forged).
     */
    addresses: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** The header the edge puts the request's real source in: `<ip>;port=<port>;transport=<udp|tcp>`. */
    header: Type.String({ minLength: 1, default: 'X-Real-Source' }),
  }, { default: {} }),
}, { default: {} });

export type SignallingConfig = Static<typeof SignallingSection>;
