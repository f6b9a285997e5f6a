import { Type, type Static } from '@sinclair/typebox';

/**
 * Where the runtime state lives: registrations, API tokens, digest nonce-counts, the SIP and
 * API failure limiters and the live-call directory. "memory" is one node's embedded state
 * (registrations and tokens in the store's SQLite file, the rest in memory); "redis" shares it
 * between nodes (see src/state/README.md).
 */
export const StateSection = Type.Object({
  driver: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory' }),
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS). Used when driver is "redis". */
  url: Type.String({ minLength: 1, default: 'redis://127.0.0.1:6379' }),
  /** Prepended to every key, so several clusters (or tests) can share one Redis. */
  keyPrefix: Type.String({ default: 'b2bua:' }),
  /** This node's id in the live-call directory; empty: the host name. */
  nodeId: Type.String({ default: '' }),
  /** Longest wait for one Redis command (and for the connection at start), in milliseconds. */
  commandTimeoutMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000 }),
  /** A live call's directory entry expires this long after its last refresh (refreshed every third of it). */
  callTtlSec: Type.Integer({ minimum: 3, maximum: 86_400, default: 60 }),
  /**
   * This node's API as the other nodes reach it (the channels API forwards a request about a
   * call to the node that owns it); empty: http://<api.host, or the host name for 0.0.0.0>:<api.port>.
   */
  nodeApiUrl: Type.String({ default: '' }),
  /** A node's entry in the node registry expires this long after its last refresh (every third of it). */
  nodeTtlSec: Type.Integer({ minimum: 3, maximum: 3600, default: 15 }),
  /** Longest wait for another node's API answer (forwarded channels requests). */
  peerTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 2000 }),
  /**
   * Provider registrations (`register: true` gateways) are each held by one node through a
   * lease in Redis, extended every third of this; a dead node's are taken over within it.
   */
  leaseTtlSec: Type.Integer({ minimum: 3, maximum: 3600, default: 15 }),
}, { default: {} });

export type StateConfig = Static<typeof StateSection>;
