/**
 * The drachtio wire protocol's messages, as pure parse/format functions. Formats follow
 * drachtio-server (src/client.cpp, src/drachtio.h SipMsgData_t::toMessageFormat) and what
 * drachtio-srf's lib/drachtio-agent.js `_onMsg` reads by token position.
 */
import { randomUUID } from 'node:crypto';

const CRLF = '\r\n';

/** A command received from an application. */
export type AppCommand =
  | { kind: 'authenticate'; msgId: string; secret: string; tags: string[] }
  | { kind: 'route'; msgId: string; verb: string }
  | { kind: 'remove_route'; msgId: string; verb: string }
  | { kind: 'ping'; msgId: string }
  | { kind: 'sip'; msgId: string; transactionId: string; dialogId: string; routeUrl: string; message: string }
  | { kind: 'unsupported'; msgId: string; type: string }
  | { kind: 'invalid'; msgId: string; reason: string };

/** Splits `<msgId>|<type>|...[CRLF<sip message>]` into a typed command. Never throws. */
export function parseAppCommand(payload: string): AppCommand {
  const eol = payload.indexOf(CRLF);
  const leader = eol < 0 ? payload : payload.slice(0, eol);
  const body = eol < 0 ? '' : payload.slice(eol + 2);
  const t = leader.split('|');
  const msgId = t[0] ?? '';
  if (t.length < 2 || msgId === '') return { kind: 'invalid', msgId, reason: 'Invalid message format' };
  switch (t[1]) {
    case 'authenticate':
      return { kind: 'authenticate', msgId, secret: t[2] ?? '', tags: t[3] ? t[3].split(',').filter(Boolean) : [] };
    case 'route':
    case 'remove_route':
      if (!t[2]) return { kind: 'invalid', msgId, reason: `${t[1]} request without a verb` };
      return { kind: t[1], msgId, verb: t[2].toLowerCase() };
    case 'ping':
      return { kind: 'ping', msgId };
    case 'sip':
      if (t.length < 4) return { kind: 'invalid', msgId, reason: 'sip message without transaction and dialog ids' };
      if (body === '') return { kind: 'invalid', msgId, reason: 'sip message without a SIP message' };
      return { kind: 'sip', msgId, transactionId: t[2], dialogId: t[3], routeUrl: t[4] ?? '', message: body };
    default:
      return { kind: 'unsupported', msgId, type: t[1] };
  }
}

/** Metadata drachtio-server puts in front of every SIP message it passes (SipMsgData_t). */
export interface SipMeta {
  source: 'network' | 'application';
  bytes: number;
  protocol: 'udp' | 'tcp' | 'tls';
  address: string;
  port: number;
  time: string;
}

const lastTime = { at: NaN, text: '' };

/** `HH:MM:SS.uuuuuu` of the UTC time of day, as drachtio-server stamps messages. */
export function stackTime(now: number = Date.now()): string {
  // Every message carries one; at hundreds of calls a second most fall in the same millisecond.
  if (now === lastTime.at) return lastTime.text;
  const d = new Date(now);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const micros = String(d.getUTCMilliseconds() * 1000).padStart(6, '0');
  lastTime.at = now;
  lastTime.text = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${micros}`;
  return lastTime.text;
}


export function metaFields(m: SipMeta): string {
  return `${m.source}|${m.bytes}|${m.protocol}|${m.address}|${m.port}|${m.time}`;
}

function newMsgId(): string {
  return randomUUID();
}

/** `response|<msgId>|OK|...` or `response|<msgId>|NOK|<reason>`. */
export function formatApiResponse(msgId: string, ok: boolean, extra?: string, sipMessage?: string): string {
  let s = `${newMsgId()}|response|${msgId}|${ok ? 'OK' : 'NOK'}`;
  if (extra !== undefined && extra !== '') s += `|${extra}`;
  if (sipMessage !== undefined) s += CRLF + sipMessage;
  return s;
}

/** The reply to `authenticate`: `OK|<hostports>|<version>|<local hostports>` (client.cpp). */
export function formatAuthOk(msgId: string, hostports: string[], version: string): string {
  return formatApiResponse(msgId, true, `${hostports.join(',')}|${version}|${hostports.join(',')}`);
}

/**
 * Echo of a request the application asked us to send: the meta, the transaction id and the
 * literal `Msg sent:` marker, then the message as it went on the wire (sip-dialog-controller.cpp).
 */
export function formatSentRequest(msgId: string, meta: SipMeta, transactionId: string, wire: string): string {
  return formatApiResponse(msgId, true, `${metaFields(meta)}|${transactionId}|Msg sent:|`, wire);
}

/** Echo of a response the application asked us to send; carries the dialog id (srf keys ACK waits on it). */
export function formatSentResponse(msgId: string, meta: SipMeta, transactionId: string, dialogId: string, wire: string): string {
  return formatApiResponse(msgId, true, `${metaFields(meta)}|${transactionId}|${dialogId}||Msg sent:|`, wire);
}

/**
 * A SIP message for the application: `sip|<meta>|<transactionId>|<dialogId>|` and, for new
 * requests from the network, the local address/port they arrived on (srf's `receivedOn`).
 */
export function formatSipEvent(meta: SipMeta, transactionId: string, dialogId: string, raw: string, receivedOn?: { address: string; port: number }): string {
  let s = `${newMsgId()}|sip|${metaFields(meta)}|${transactionId}|${dialogId}|`;
  if (receivedOn) s += `${receivedOn.address}|${receivedOn.port}|`;
  return s + CRLF + raw;
}
