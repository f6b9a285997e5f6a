import { SipSerializeError } from '../errors';
import { hasLineBreak, isToken } from './headers';
import type { SipMessage } from './message';

/**
 * Wire form of a message. Content-Length is always recomputed from the body (RFC 3261 18.3
 * makes it mandatory over streams; we write it everywhere). Header values cannot carry CR/LF
 * (Headers refuses them), and the start line is checked here, so no input can inject lines.
 */
export function serialize(msg: SipMessage): Buffer {
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
