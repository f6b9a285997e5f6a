import { SdpError } from '../errors';
import type { Direction, Rtpmap, Sdp, SdpMedia } from './types';

export type { Direction, Rtpmap, Sdp, SdpMedia } from './types';

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/**
 * RFC 3551 section 6 static payload types we may meet in telephony; dynamic types (96-127)
 * must come with an a=rtpmap.
 */
export const STATIC_PAYLOADS: Readonly<Record<number, Rtpmap>> = {
  0: { payloadType: 0, encoding: 'PCMU', clockRate: 8000 },
  3: { payloadType: 3, encoding: 'GSM', clockRate: 8000 },
  4: { payloadType: 4, encoding: 'G723', clockRate: 8000 },
  8: { payloadType: 8, encoding: 'PCMA', clockRate: 8000 },
  9: { payloadType: 9, encoding: 'G722', clockRate: 8000 },
  13: { payloadType: 13, encoding: 'CN', clockRate: 8000 },
  18: { payloadType: 18, encoding: 'G729', clockRate: 8000 },
};

function parseConnection(value: string, where: string): { address: string; type: 'IP4' | 'IP6' } {
  // c=<nettype> <addrtype> <connection-address>  (RFC 4566 section 5.7); multicast TTL suffix dropped
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3 || parts[0] !== 'IN' || (parts[1] !== 'IP4' && parts[1] !== 'IP6')) {
    throw new SdpError(`bad c= line ${where}: ${value}`);
  }
  return { address: parts[2].split('/')[0], type: parts[1] };
}

function parseMediaLine(value: string): SdpMedia {
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3) throw new SdpError(`bad m= line: ${value}`);
  const [portText, countText] = parts[1].split('/');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SdpError(`bad port in m= line: ${value}`);
  const media: SdpMedia = {
    type: parts[0], port, proto: parts[2], formats: parts.slice(3),
    rtpmaps: [], otherAttributes: [], otherLines: [],
  };
  if (countText !== undefined) media.portCount = Number(countText);
  return media;
}

function parseRtpmap(value: string): Rtpmap {
  // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
  const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?$/.exec(value.trim());
  if (!m) throw new SdpError(`bad a=rtpmap: ${value}`);
  const map: Rtpmap = { payloadType: Number(m[1]), encoding: m[2], clockRate: Number(m[3]) };
  if (m[4] !== undefined) map.channels = Number(m[4]);
  return map;
}

function applyMediaAttribute(media: SdpMedia, attr: string): void {
  const colon = attr.indexOf(':');
  const name = colon < 0 ? attr : attr.slice(0, colon);
  const value = colon < 0 ? '' : attr.slice(colon + 1);
  if (DIRECTIONS.has(attr)) media.direction = attr as Direction;
  else if (name === 'rtpmap') media.rtpmaps.push(parseRtpmap(value));
  else if (name === 'label') media.label = value;
  else if (name === 'mid') media.mid = value;
  else if (name === 'ptime' && /^\d+$/.test(value.trim())) media.ptime = Number(value.trim());
  else if (name === 'rtcp' && /^\d+(\s|$)/.test(value.trim())) {
    const [port, ...rest] = value.trim().split(/\s+/);
    if (rest.length === 0) media.rtcpPort = Number(port);
    else media.otherAttributes.push(attr); // rtcp with explicit address: keep verbatim
  } else media.otherAttributes.push(attr);
}

/** Parses an SDP body (CRLF or LF line ends). Throws SdpError on lines it cannot read. */
export function parseSdp(text: string): Sdp {
  const sdp: Sdp = { sessionLines: [], attributes: [], media: [] };
  let current: SdpMedia | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line === '') continue;
    if (line.length < 2 || line[1] !== '=') throw new SdpError(`not an SDP line: ${line}`);
    const kind = line[0];
    const value = line.slice(2);
    if (kind === 'm') {
      current = parseMediaLine(value);
      sdp.media.push(current);
    } else if (kind === 'c') {
      const c = parseConnection(value, current ? 'in media' : 'in session');
      if (current) current.connection = c.address;
      else {
        sdp.connection = c.address;
        sdp.addressType = c.type;
      }
    } else if (kind === 'a') {
      if (current) applyMediaAttribute(current, value);
      else if (DIRECTIONS.has(value)) sdp.direction = value as Direction;
      else sdp.attributes.push(value);
    } else if (current) current.otherLines.push(line);
    else sdp.sessionLines.push(line);
  }
  if (!sdp.sessionLines.some((l) => l.startsWith('v='))) throw new SdpError('SDP without v= line');
  return sdp;
}

function addrType(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

/** Serializes in RFC 4566 order (session c= before t=), CRLF line ends, trailing CRLF. */
export function serializeSdp(sdp: Sdp): string {
  const out: string[] = [];
  let connectionWritten = sdp.connection === undefined;
  const writeConnection = (): void => {
    if (connectionWritten || sdp.connection === undefined) return;
    out.push(`c=IN ${sdp.addressType ?? addrType(sdp.connection)} ${sdp.connection}`);
    connectionWritten = true;
  };
  for (const line of sdp.sessionLines) {
    // c= belongs after s=/i=/u=/e=/p= and before b=/t= (RFC 4566 section 5)
    if (/^[btrzk]=/.test(line)) writeConnection();
    out.push(line);
  }
  writeConnection();
  for (const a of sdp.attributes) out.push(`a=${a}`);
  if (sdp.direction) out.push(`a=${sdp.direction}`);
  for (const m of sdp.media) {
    const port = m.portCount !== undefined ? `${m.port}/${m.portCount}` : `${m.port}`;
    out.push(['m=' + m.type, port, m.proto, ...m.formats].join(' '));
    out.push(...m.otherLines.filter((l) => l.startsWith('i=')));
    if (m.connection !== undefined) out.push(`c=IN ${addrType(m.connection)} ${m.connection}`);
    out.push(...m.otherLines.filter((l) => !l.startsWith('i=')));
    if (m.label !== undefined) out.push(`a=label:${m.label}`);
    if (m.mid !== undefined) out.push(`a=mid:${m.mid}`);
    for (const r of m.rtpmaps) {
      out.push(`a=rtpmap:${r.payloadType} ${r.encoding}/${r.clockRate}${r.channels !== undefined ? `/${r.channels}` : ''}`);
    }
    for (const a of m.otherAttributes) out.push(`a=${a}`);
    if (m.rtcpPort !== undefined) out.push(`a=rtcp:${m.rtcpPort}`);
    if (m.ptime !== undefined) out.push(`a=ptime:${m.ptime}`);
    if (m.direction) out.push(`a=${m.direction}`);
  }
  return out.join('\r\n') + '\r\n';
}

/** The codec behind each RTP payload type of an m-line, rtpmap first, static table second. */
export function mediaCodecs(media: SdpMedia): Rtpmap[] {
  const out: Rtpmap[] = [];
  for (const f of media.formats) {
    const pt = Number(f);
    if (!Number.isInteger(pt)) continue;
    const mapped = media.rtpmaps.find((r) => r.payloadType === pt) ?? STATIC_PAYLOADS[pt];
    if (mapped) out.push(mapped);
  }
  return out;
}

/** The effective direction of an m-line: its own attribute, else the session's, else sendrecv (RFC 3264 section 5.1). */
export function effectiveDirection(sdp: Sdp, media: SdpMedia): Direction {
  return media.direction ?? sdp.direction ?? 'sendrecv';
}

/** The address RTP of this m-line goes to: media c= over session c=. */
export function mediaAddress(sdp: Sdp, media: SdpMedia): string | undefined {
  return media.connection ?? sdp.connection;
}

/** True when every audio stream is on hold (RFC 3264 section 8.4: sendonly/inactive, or c=0.0.0.0 of RFC 2543). */
export function isHold(sdp: Sdp): boolean {
  const audio = sdp.media.filter((m) => m.type === 'audio' && m.port !== 0);
  if (audio.length === 0) return false;
  return audio.every((m) => {
    const dir = effectiveDirection(sdp, m);
    return dir === 'sendonly' || dir === 'inactive' || mediaAddress(sdp, m) === '0.0.0.0';
  });
}

/** Names of the audio codecs (telephone-event and CN excluded) offered in the first audio m-line. */
export function audioCodecNames(sdp: Sdp): string[] {
  const audio = sdp.media.find((m) => m.type === 'audio' && m.port !== 0);
  if (!audio) return [];
  return mediaCodecs(audio)
    .map((c) => c.encoding)
    .filter((e) => !/^(telephone-event|CN)$/i.test(e));
}
