import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { SdpError } from '../errors';
import type { Direction, Rtpmap, Sdp, SdpMedia } from './types';

export type { Direction, Rtpmap, Sdp, SdpMedia } from './types';

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

/** Media-level attributes the model keeps in fields of its own; every other one goes to otherAttributes. */
type MediaRest = Omit<MediaDescription, 'type' | 'port' | 'protocol' | 'payloads' | 'connection' | 'rtp' | 'direction' | 'label' | 'mid' | 'ptime' | 'rtcp' | 'description' | 'bandwidth'>;

/**
 * sdp-transform's writer renders whatever fields are present (its typings ask for a complete
 * session; the writer itself only writes the fields it finds, adding v= and s= when absent).
 */
function writeFields(fields: Partial<SessionDescription> & { media: MediaDescription[] }): string {
  return write(fields as SessionDescription);
}

/** The lines sdp-transform's grammar renders for a bag of parsed fields, those starting with `prefix`. */
function linesOf(fields: Partial<SessionDescription> | MediaRest, level: 'session' | 'media', prefix: string): string[] {
  const text = level === 'session'
    ? writeFields({ ...(fields as Partial<SessionDescription>), media: [] })
    : writeFields({ media: [{ type: 'x', port: 0, protocol: 'x', payloads: '', rtp: [], ...(fields as MediaRest), fmtp: (fields as MediaRest).fmtp ?? [] }] });
  const all = text.split('\r\n').filter((l) => l !== '');
  const body = level === 'session' ? all : all.slice(all.findIndex((l) => l.startsWith('m=')) + 1);
  return body.filter((l) => l.startsWith(prefix));
}

/**
 * Parses an SDP body (CRLF or LF line ends) with sdp-transform into the model the media part
 * works on. Throws SdpError on lines it cannot read: sdp-transform skips what it does not
 * understand, and a body whose connection, port or rtpmap we would silently lose must not pass.
 */
export function parseSdp(text: string): Sdp {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line !== '' && !/^[a-z]=/.test(line)) throw new SdpError(`not an SDP line: ${line}`);
    // c=<nettype> <addrtype> <connection-address> (RFC 4566 section 5.7)
    if (line.startsWith('c=') && !/^c=IN IP[46] \S+/.test(line)) throw new SdpError(`bad c= line: ${line}`);
  }
  const parsed = parse(text);
  if (parsed.version === undefined) throw new SdpError('SDP without v= line');
  const { connection, direction, media, invalid, ...session } = parsed;
  const sdp: Sdp = {
    sessionLines: linesOf(session, 'session', '').filter((l) => !l.startsWith('a=')),
    attributes: [...linesOf(session, 'session', 'a='), ...(invalid ?? []).map((i) => `a=${i.value}`)].map((l) => l.slice(2)),
    media: media.map(toMedia),
  };
  if (connection) {
    sdp.connection = connection.ip;
    sdp.addressType = connection.version === 6 ? 'IP6' : 'IP4';
  }
  if (direction) sdp.direction = direction;
  return sdp;
}

function toMedia(m: MediaDescription): SdpMedia {
  const { type, port, protocol, payloads, connection, rtp, direction, label, mid, ptime, rtcp, description, bandwidth, invalid, ...rest } = m;
  if (type === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new SdpError(`bad m= line: ${type} ${port}`);
  for (const i of invalid ?? []) if (i.value.startsWith('rtpmap:')) throw new SdpError(`bad a=rtpmap: ${i.value}`);
  const out: SdpMedia = {
    type, port, proto: protocol,
    formats: payloads === undefined ? [] : String(payloads).split(' ').filter((f) => f !== ''),
    rtpmaps: rtp.map((r) => ({
      payloadType: r.payload, encoding: r.codec, clockRate: r.rate ?? 0,
      ...(r.encoding !== undefined ? { channels: Number(r.encoding) } : {}),
    })),
    otherAttributes: [...linesOf(rest, 'media', 'a='), ...(invalid ?? []).map((i) => `a=${i.value}`)].map((l) => l.slice(2)),
    otherLines: linesOf({ ...(description !== undefined ? { description } : {}), ...(bandwidth ? { bandwidth } : {}) } as MediaRest, 'media', ''),
  };
  if (connection) out.connection = connection.ip;
  if (direction) out.direction = direction;
  if (label !== undefined) out.label = String(label);
  if (mid !== undefined) out.mid = String(mid);
  if (ptime !== undefined) out.ptime = ptime;
  // a=rtcp with an explicit address is kept verbatim among the other attributes.
  if (rtcp && rtcp.address === undefined) out.rtcpPort = rtcp.port;
  else if (rtcp) out.otherAttributes.push(`rtcp:${rtcp.port} ${rtcp.netType} IP${rtcp.ipVer} ${rtcp.address}`);
  return out;
}

function addrType(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** Verbatim lines (the model's pass-through fields) read back into sdp-transform's structure. */
function fieldsOf(lines: readonly string[]): SessionDescription {
  return parse(['v=0', ...lines].join('\r\n'));
}

/** Serializes with sdp-transform (RFC 4566 line order, its attribute order), CRLF line ends. */
export function serializeSdp(sdp: Sdp): string {
  const { media: _none, ...session } = fieldsOf([...sdp.sessionLines, ...sdp.attributes.map((a) => `a=${a}`)]);
  const out: SessionDescription = { ...session, media: sdp.media.map(fromMedia) };
  if (sdp.connection !== undefined) out.connection = { version: sdp.addressType === 'IP6' ? 6 : sdp.addressType === 'IP4' ? 4 : addrType(sdp.connection), ip: sdp.connection };
  if (sdp.direction) out.direction = sdp.direction;
  return write(out);
}

function fromMedia(m: SdpMedia): MediaDescription {
  const extra = fieldsOf(['m=x 0 x', ...m.otherLines, ...m.otherAttributes.map((a) => `a=${a}`)]).media[0];
  const out: MediaDescription = {
    ...extra,
    type: m.type, port: m.port, protocol: m.proto, payloads: m.formats.join(' '),
    rtp: m.rtpmaps.map((r) => ({ payload: r.payloadType, codec: r.encoding, rate: r.clockRate, ...(r.channels !== undefined ? { encoding: r.channels } : {}) })),
    fmtp: extra?.fmtp ?? [],
  };
  if (m.connection !== undefined) out.connection = { version: addrType(m.connection), ip: m.connection };
  if (m.direction) out.direction = m.direction;
  if (m.label !== undefined) out.label = m.label;
  if (m.mid !== undefined) out.mid = m.mid;
  if (m.ptime !== undefined) out.ptime = m.ptime;
  if (m.rtcpPort !== undefined) out.rtcp = { port: m.rtcpPort };
  return out;
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
