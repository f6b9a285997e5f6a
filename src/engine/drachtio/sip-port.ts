/**
 * What the drachtio server needs from the SIP core (src/engine/sip), written as structural
 * interfaces so this part compiles and is reasoned about on its own; src/engine/engine.ts
 * hands it the real SipStack and message functions.
 */
import type { EventEmitter } from 'node:events';

export type TransportName = 'udp' | 'tcp' | 'tls';
export interface Endpoint { transport: TransportName; address: string; port: number }
export interface InboundContext { source: Endpoint; local: Endpoint }

export interface HeadersPort {
  get(name: string): string | undefined;
  getAll(name: string): string[];
}
export interface SipRequestPort { method: string; uri: string; headers: HeadersPort; body: Buffer }
export interface SipResponsePort { status: number; reason: string; headers: HeadersPort; body: Buffer }

export interface ServerTransactionPort extends EventEmitter {
  readonly request: SipRequestPort;
  respond(res: SipResponsePort): void;
}

export interface ClientTransactionPort extends EventEmitter {
  readonly request: SipRequestPort;
  readonly destination: Promise<Endpoint>;
  cancel(extraHeaders?: [string, string][]): Promise<unknown>;
}

export type RequestListener = (req: SipRequestPort, ctx: InboundContext, tx: ServerTransactionPort | null) => void;

/** Not an EventEmitter subtype: the core's `listeners()` (its endpoints) shadows EventEmitter's. */
export interface SipStackPort {
  on(event: 'request', listener: RequestListener): unknown;
  off(event: 'request', listener: RequestListener): unknown;
  listeners(): Endpoint[];
  advertised(transport: TransportName): { host: string; port: number };
  sendRequest(req: SipRequestPort, opts?: { target?: Endpoint }): ClientTransactionPort;
  sendStateless(req: SipRequestPort, opts?: { target?: Endpoint }): Promise<Endpoint>;
}

/** Message functions of the SIP core. */
export interface SipCodecPort {
  /** Builds a message of the core's model; throws on header injection (CR/LF in values). */
  request(method: string, uri: string, headers: [string, string][], body: string): SipRequestPort;
  response(status: number, reason: string, headers: [string, string][], body: string): SipResponsePort;
  serialize(msg: SipRequestPort | SipResponsePort): string;
}

export function isRequest(m: SipRequestPort | SipResponsePort): m is SipRequestPort {
  return typeof (m as SipRequestPort).method === 'string';
}
