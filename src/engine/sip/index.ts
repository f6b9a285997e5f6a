/**
 * Public surface of the SIP core (RFC 3261 message model, transports, transactions, SipStack).
 * Other engine parts import from here only. See CONTRACT.md.
 */
export * from './errors';
export { Headers, canonicalName, isListHeader, splitList, isToken, type HeaderEntry } from './message/headers';
export { SipRequest, SipResponse, isRequest, type SipMessage } from './message/message';
export { serialize, serializeText } from './message/serializer';
export { parseMessage, findHeaderEnd, type ParseLimits, type ParseResult } from './message/parser';
export { TcpFramer, type FramerOutput } from './message/framer';
export { parseParams, formatParams, getHeaderParam, setHeaderParam, type Params } from './message/params';
export {
  parseUri, formatUri, parseHostPort, formatHost, parseNameAddr, formatNameAddr,
  type SipUri, type NameAddr,
} from './message/uri';
export { parseVia, parseCSeq, type Via, type CSeq } from './message/fields';
export { createResponse, newBranch, newTag, newCallId, MAGIC_COOKIE, REASONS } from './message/create';
export { isReliable, endpointKey, type TransportName, type Endpoint, type InboundContext, type ListenSpec } from './transport/types';
export { SipStack, type SipStackOptions, type SipStackEvents, type SipStackStats, type SendOptions } from './stack';
export { ServerTransaction } from './transaction/server-transaction';
export { ClientTransaction } from './transaction/client-transaction';
export { InviteServerTransaction } from './transaction/invite-server';
export { InviteClientTransaction } from './transaction/invite-client';
export { TxState, type ServerTxEvents, type ClientTxEvents } from './transaction/types';
export { nextHop, resolveHop, defaultPort, type NextHop } from './transport/resolve';
export { DEFAULT_CIPHERS, TLS_FAILURE_REASONS, classifyTlsError, type TlsSettings, type TlsFailureReason } from './transport/tls';
