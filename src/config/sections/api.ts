import { Type, type Static } from '@sinclair/typebox';

/** The Crossbar-style REST API. */
export const ApiSection = Type.Object({
  /**
   * Listen address. Loopback by default so that a fresh install does not expose an
   * administration API to the network before an operator has chosen to (set 0.0.0.0 to do so).
   */
  host: Type.String({ default: '127.0.0.1' }),
  /** Kazoo's Crossbar listens on 8000. */
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  /**
   * Key accepted by PUT /v2/api_auth before any account exists: its first use creates the master
   * account (which then owns it). Empty disables it. Env: B2BUA_API__BOOTSTRAP_API_KEY.
   */
  bootstrapApiKey: Type.String({ default: '' }),
  /** Lifetime of an auth token, in seconds (Kazoo's default is one hour). */
  tokenTtlSec: Type.Integer({ minimum: 1, maximum: 604800, default: 3600 }),
  /** Realms generated for accounts created without one are `<random>.<realmSuffix>`. */
  realmSuffix: Type.String({ minLength: 1, default: 'sip.b2bua.local' }),
  /** Failed PUT /v2/api_auth attempts allowed per client address in `authFailureWindowSec`. */
  authFailureLimit: Type.Integer({ minimum: 1, default: 10 }),
  authFailureWindowSec: Type.Integer({ minimum: 1, default: 60 }),
  /** Largest accepted request body, in bytes. */
  bodyLimit: Type.Integer({ minimum: 1024, maximum: 16777216, default: 1048576 }),
  /**
   * Deepest nesting of arrays/objects accepted in a request body (the envelope counts: a
   * document's top level is depth 2). Documents are walked recursively, so this bounds the stack.
   */
  maxBodyDepth: Type.Integer({ minimum: 4, maximum: 256, default: 64 }),
}, { default: {} });

export type ApiConfig = Static<typeof ApiSection>;
