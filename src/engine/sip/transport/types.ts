/** Transport names the engine binds and sends on (TLS: RFC 3261 26.2, over TCP). */
export type TransportName = 'udp' | 'tcp' | 'tls';

/** One side of a packet flow. `address` is an IP literal without brackets. */
export interface Endpoint {
  transport: TransportName;
  address: string;
  port: number;
}

/** Where an inbound message came from and which of our listeners it arrived on. */
export interface InboundContext {
  source: Endpoint;
  local: Endpoint;
}

export interface ListenSpec {
  host: string;
  port: number;
  transports: readonly TransportName[];
  /** Advertised in Via/Contact instead of the bound host (NAT, 0.0.0.0). */
  externalHost?: string;
}

/** RFC 3261 18: TCP and TLS are reliable, UDP is not (timers D/I/J/K are zero only when reliable). */
export function isReliable(t: TransportName): boolean {
  return t !== 'udp';
}

/** Stream transports: a connection per peer. */
export type StreamTransport = Exclude<TransportName, 'udp'>;

export function endpointKey(e: Endpoint): string {
  return `${e.transport}:${e.address}:${e.port}`;
}
