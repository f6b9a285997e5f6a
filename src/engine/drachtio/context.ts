/**
 * What the UAS and UAC halves of the drachtio bridge share: the SIP core, the dialogs and the
 * way to reach an application. Kept as a plain object so both halves stay thin.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DialogStore } from '../dialog/store';
import type { Endpoint, SipCodecPort, SipRequestPort, SipResponsePort, SipStackPort, TransportName } from './sip-port';
import { stackTime, type SipMeta } from './protocol';
import { displayName, normalizedName, requestLine, statusLine, type TextMessage } from './text-message';

export interface BridgeContext {
  stack: SipStackPort;
  codec: SipCodecPort;
  dialogs: DialogStore;
  log: Logger;
  /** Sends a wire-protocol payload to an app; false when the app is gone. */
  send(appId: string, payload: string): boolean;
  /** Counters the engine exposes (stats()). */
  counters: BridgeCounters;
}

export interface BridgeCounters {
  requestsIn: number;
  requestsOut: number;
  rejectedNoApp: number;
  ackTimeouts: number;
}

export function newTransactionId(): string {
  return randomUUID();
}

/**
 * Our Contact for a transport, as drachtio-server builds it from the selected transport. Over
 * TLS it is `sip:...;transport=tls`, as drachtio-server and most phones write it (RFC 5630 3.1.2
 * prefers sips:, which would oblige every hop beyond the phone to TLS too).
 */
export function contactFor(stack: SipStackPort, transport: TransportName): string {
  const a = stack.advertised(transport);
  return transport === 'udp' ? `<sip:${a.host}:${a.port}>` : `<sip:${a.host}:${a.port};transport=${transport}>`;
}

export function metaOf(source: SipMeta['source'], wire: string, at: Endpoint): SipMeta {
  return {
    source,
    bytes: Buffer.byteLength(wire, 'utf8'),
    protocol: at.transport,
    address: at.address,
    port: at.port,
    time: stackTime(),
  };
}

export class MessageBuildError extends Error {
  readonly code = 'EBUILD';
}

/** A completed request in the core's model (Content-Length is the core's business). */
export function toRequest(codec: SipCodecPort, m: TextMessage): SipRequestPort {
  const rl = requestLine(m);
  if (!rl) throw new MessageBuildError(`invalid request line: ${m.startLine}`);
  return codec.request(rl.method, rl.uri, wireHeaders(m), m.body);
}

export function toResponse(codec: SipCodecPort, m: TextMessage): SipResponsePort {
  const sl = statusLine(m);
  if (!sl) throw new MessageBuildError(`invalid status line: ${m.startLine}`);
  return codec.response(sl.status, sl.reason, wireHeaders(m), m.body);
}

function wireHeaders(m: TextMessage): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of m.headers) if (normalizedName(k) !== 'content-length') out.push([displayName(k), v]);
  return out;
}

/** Headers whose URIs name a host (drachtio-server's makeTags fixes these). */
const ADDRESS_HEADERS = new Set(['from', 'to', 'contact', 'p-asserted-identity']);

/**
 * drachtio-srf writes `@localhost` in From/To/Contact/P-Asserted-Identity when it does not
 * know the server's address; drachtio-server replaces that host with the SIP address:port of
 * the transport in use (makeTags), and so do we.
 */
export function fixLocalhost(stack: SipStackPort, m: TextMessage, transport: TransportName): void {
  for (const h of m.headers) {
    if (!h[1].includes('@localhost') || !ADDRESS_HEADERS.has(normalizedName(h[0]))) continue;
    const a = stack.advertised(transport);
    h[1] = h[1].replace(/@localhost(:\d+)?/g, `@${a.host}:${a.port}`);
  }
}
