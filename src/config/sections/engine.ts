import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_CIPHERS } from '../../engine/sip/transport/tls';

/** The embedded SIP engine (RFC 3261 stack + drachtio wire protocol server). */
export const EngineSection = Type.Object({
  /** false: call control connects to an external drachtio-server at `drachtio` instead. */
  embedded: Type.Boolean({ default: true }),
  sip: Type.Object({
    /** Each entry opens a UDP and/or TCP listener. */
    listen: Type.Array(
      Type.Object({
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 5060 }),
        transports: Type.Array(Type.Union([Type.Literal('udp'), Type.Literal('tcp')]), { default: ['udp', 'tcp'] }),
        /** Address advertised in Via/Contact when it differs from the bound one (NAT, 0.0.0.0). */
        externalHost: Type.Optional(Type.String()),
      }),
      { default: [{ host: '127.0.0.1', port: 5060, transports: ['udp', 'tcp'] }] },
    ),
    /** RFC 3261 timer values in milliseconds (section 17.1.1.1, table 4). */
    t1: Type.Integer({ minimum: 1, default: 500 }),
    t2: Type.Integer({ minimum: 1, default: 4000 }),
    t4: Type.Integer({ minimum: 1, default: 5000 }),
    maxMessageBytes: Type.Integer({ minimum: 1024, maximum: 1048576, default: 65535 }),
    maxHeaders: Type.Integer({ minimum: 16, maximum: 1024, default: 128 }),
    /** TCP connections without traffic for this long are closed (ms). */
    tcpIdleTimeoutMs: Type.Integer({ minimum: 1000, default: 120000 }),
    /**
     * Server transactions held at once (each lives until its final response and, over UDP,
     * 64*T1 after it, RFC 3261 17.2). Beyond it new requests get 503 with Retry-After
     * (RFC 3261 21.5.4), so a flood of requests never answered or ACKed cannot grow the heap at will.
     */
    maxServerTransactions: Type.Integer({ minimum: 100, default: 100000 }),
    /**
     * INVITE server transactions one source IP may hold pending (no final response yet, or a
     * non-2xx final not ACKed); beyond it that source's new INVITEs get 503 with Retry-After.
     * Answered calls (2xx sent) do not count.
     */
    maxPendingInvitesPerSource: Type.Integer({ minimum: 1, default: 1000 }),
    /**
     * SIP over TLS (RFC 3261 26.2). Absent: no TLS listener. Certificate and key are PEM files,
     * reread on SIGHUP; a client certificate is asked for when `clientCaFile` is set and
     * required with `requireClientCert`.
     */
    tls: Type.Optional(Type.Object({
      host: Type.String({ default: '127.0.0.1' }),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 5061 }),
      externalHost: Type.Optional(Type.String()),
      certFile: Type.String({ minLength: 1 }),
      keyFile: Type.String({ minLength: 1 }),
      caFile: Type.Optional(Type.String({ minLength: 1 })),
      clientCaFile: Type.Optional(Type.String({ minLength: 1 })),
      requireClientCert: Type.Boolean({ default: false }),
      minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2' }),
      ciphers: Type.String({ minLength: 1, default: DEFAULT_CIPHERS }),
      handshakeTimeoutMs: Type.Integer({ minimum: 100, default: 10000 }),
    })),
  }, { default: {} }),
  /** The drachtio wire protocol endpoint (embedded server listens here; external one is reached here). */
  drachtio: Type.Object({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 9022 }),
    secret: Type.String({ minLength: 1, default: 'cymru' }),
  }, { default: {} }),
}, { default: {} });

export type EngineConfig = Static<typeof EngineSection>;
