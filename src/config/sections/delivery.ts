import { Type, type Static } from '@sinclair/typebox';

/**
 * Delivery of finished recordings: the durable spool queue and the HTTP uploader.
 * Durations are milliseconds.
 */
export const DeliverySection = Type.Object({
  /** Root of the durable queue (files/ and meta/ live under it). Must be on one filesystem. */
  spoolDir: Type.String({ minLength: 1, default: 'spool/delivery' }),
  /** Uploads in flight at once. */
  concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 4 }),
  /** From socket creation to TCP (and TLS) established. */
  connectTimeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
  /** Longest silence on an established connection (sending the body or awaiting the answer). */
  transferTimeoutMs: Type.Integer({ minimum: 1, default: 60_000 }),
  /** Exponential backoff with full jitter: delay = random(0, min(max, base * 2^(attempt-1))). */
  backoffBaseMs: Type.Integer({ minimum: 1, default: 5_000 }),
  backoffMaxMs: Type.Integer({ minimum: 1, default: 600_000 }),
  /** After this long since enqueue, a recording still not delivered is marked failed (kept on disk). */
  horizonMs: Type.Integer({ minimum: 1, default: 86_400_000 }),
  /** Keep the file in the spool after a successful upload (the record is always kept). */
  keepUploaded: Type.Boolean({ default: false }),
  /** Redirects (301/302/303/307/308) followed per attempt, each target checked by the network policy. */
  maxRedirects: Type.Integer({ minimum: 0, maximum: 20, default: 10 }),
  /**
   * Outbound network policy, CIDR strings (IPv4 and IPv6). Configured rules are matched first,
   * longest prefix wins, deny wins a tie. When no configured rule matches, the built-in deny list
   * (loopback, private, link-local, CGNAT, ULA, metadata, multicast...) applies; anything else is allowed.
   */
  allow: Type.Array(Type.String(), { default: [] }),
  deny: Type.Array(Type.String(), { default: [] }),
  /** Optional webhook receiving a JSON POST when a recording is uploaded or has failed. Operator-trusted. */
  webhookUrl: Type.Optional(Type.String({ minLength: 1 })),
  webhookTimeoutMs: Type.Integer({ minimum: 1, default: 5_000 }),
  tls: Type.Object({
    /** Extra CA bundle (PEM) trusted for https uploads, in addition to the system store. */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    rejectUnauthorized: Type.Boolean({ default: true }),
  }, { default: {} }),
}, { default: {} });

export type DeliveryConfig = Static<typeof DeliverySection>;
