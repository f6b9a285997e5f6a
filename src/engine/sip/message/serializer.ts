import { SipSerializeError } from '../errors';
import { hasLineBreak, isToken } from './headers';
import type { SipMessage, WireForm } from './message';

/**
 * Wire form of a message. Content-Length is always recomputed from the body (RFC 3261 18.3
 * makes it mandatory over streams; we write it everywhere). Header values cannot carry CR/LF
 * (Headers refuses them), and the start line is checked here, so no input can inject lines.
 */
export function serialize(msg: SipMessage): Buffer {
  return wireOf(msg).wire;
}

/** The wire form as text (the drachtio bridge echoes what was sent to the application). */
export function serializeText(msg: SipMessage): string {
  const w = wireOf(msg);
  return (w.text ??= w.wire.toString('utf8'));
}

function startOf(msg: SipMessage): string {
  return msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
}

/**
 * A message is often serialized more than once unchanged (sent by its transaction, then echoed
 * to the application): its last wire form is kept on it and reused while its start line, header
 * list (Headers.version) and body are the same ones.
 */
function wireOf(msg: SipMessage): WireForm {
  const start = startOf(msg);
  const c = msg.wireForm;
  if (c && c.headers === msg.headers && c.version === msg.headers.version && c.start === start && c.body === msg.body) return c;
  const w: WireForm = { headers: msg.headers, version: msg.headers.version, start, body: msg.body, wire: build(msg) };
  msg.wireForm = w;
  return w;
}

function build(msg: SipMessage): Buffer {
  let head: string;
  if (msg.kind === 'request') {
    if (!isToken(msg.method)) throw new SipSerializeError(`invalid method ${JSON.stringify(msg.method)}`);
    if (!isSafeUri(msg.uri)) throw new SipSerializeError(`invalid Request-URI ${JSON.stringify(msg.uri)}`);
    head = `${msg.method} ${msg.uri} SIP/2.0\r\n`;
  } else {
    if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) {
      throw new SipSerializeError(`invalid status ${msg.status}`);
    }
    if (hasLineBreak(msg.reason)) throw new SipSerializeError('CR/LF in reason phrase');
    head = `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  }
  for (const e of msg.headers.entries()) {
    if (e.key === 'content-length') continue;
    head += `${e.name}: ${e.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  if (msg.body.length === 0) return Buffer.from(head);
  const h = Buffer.from(head);
  return Buffer.concat([h, msg.body], h.length + msg.body.length);
}

function isSafeUri(uri: string): boolean {
  if (uri.length === 0) return false;
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}
