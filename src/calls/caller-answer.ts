import { CallError } from './errors';
import { mediaCodecs, parseSdp, serializeSdp, type SdpMedia } from '../media';

/**
 * Pure: the SDP answer an answer-first step (record_caller) gives rtpengine as the caller's
 * temporary callee, pointing the caller's audio (relayed by rtpengine) at the recorder's socket.
 * The first audio m-line offering PCMU or PCMA (in the offerer's preference order) is accepted,
 * with RFC 4733 telephone-event when offered (so a digit can end the recording); every other
 * m-line is rejected with port 0 (RFC 3264 section 6).
 *
 * Direction (RFC 3264 section 6.1): recvonly when nobody follows (the flow ends in record_caller:
 * we only listen, and rtpengine tells the caller so); sendrecv when a routing module follows,
 * because the real callee later takes that side over and the caller's session must stay
 * sendrecv (a recvonly answer would need a re-INVITE to the caller once the callee answers).
 */

export interface CallerAnswer {
  sdp: string;
  payloadType: number;
  encoding: 'PCMU' | 'PCMA';
  telephoneEventPt?: number;
}

/** A CallError, so a call failing on it before the answer gets its 488. */
export class NoAcceptableCodecError extends CallError {
  readonly code = 'RECORDING_NO_CODEC';
  /** RFC 3261 21.4.26: 488 Not Acceptable Here when no offered media can be used. */
  readonly sipStatus = 488;
  constructor() {
    super('the offer has no PCMU/PCMA audio stream');
    this.name = 'NoAcceptableCodecError';
  }
}

export type AnswerDirection = 'recvonly' | 'sendrecv';

export function answerForRecorder(offer: string, host: string, port: number, sessionId: number, direction: AnswerDirection = 'recvonly'): CallerAnswer {
  let chosen: Omit<CallerAnswer, 'sdp'> | undefined;
  const media = parseSdp(offer).media.map((m): SdpMedia => {
    const codecs = mediaCodecs(m);
    const audio = m.type === 'audio' && m.port !== 0 && chosen === undefined
      ? codecs.find((c) => /^(PCMU|PCMA)$/i.test(c.encoding) && c.clockRate === 8000)
      : undefined;
    // RFC 3264 section 6: a refused stream is answered with port 0 and the offered formats.
    if (!audio) return { type: m.type, port: 0, proto: m.proto, formats: m.formats, rtpmaps: [], otherAttributes: [], otherLines: [] };
    const te = codecs.find((c) => c.encoding.toLowerCase() === 'telephone-event' && c.clockRate === 8000);
    const encoding = audio.encoding.toUpperCase() as 'PCMU' | 'PCMA';
    chosen = { payloadType: audio.payloadType, encoding, ...(te ? { telephoneEventPt: te.payloadType } : {}) };
    const rtpmaps = [{ payloadType: audio.payloadType, encoding, clockRate: 8000 }, ...(te ? [{ payloadType: te.payloadType, encoding: 'telephone-event', clockRate: 8000 }] : [])];
    return {
      type: 'audio', port, proto: m.proto, formats: rtpmaps.map((r) => String(r.payloadType)), rtpmaps,
      otherAttributes: te ? [`fmtp:${te.payloadType} 0-16`] : [], otherLines: [], ptime: 20, direction,
    };
  });
  if (!chosen) throw new NoAcceptableCodecError();
  const ip = host.includes(':') ? 'IP6' : 'IP4';
  const sdp = serializeSdp({ sessionLines: ['v=0', `o=- ${sessionId} 1 IN ${ip} ${host}`, 's=-', 't=0 0'], connection: host, addressType: ip, attributes: [], media });
  return { ...chosen, sdp };
}

/**
 * Pure: the offer with its first audio m-line reduced to one codec (and RFC 4733
 * telephone-event when given), the rtpmap/fmtp lines of every other payload type dropped. A line
 * filter on purpose, not a parse and rewrite: every line it keeps reaches the callee byte for byte. The
 * caller was already answered with that codec (record_caller before a routing module), so the
 * callee must not pick another: the caller would then receive a codec it never agreed to
 * (RFC 3264 section 6.1: media is sent only in the formats of the answer).
 */
export function restrictOffer(offer: string, payloadType: number, telephoneEventPt?: number): string {
  const keep = new Set([String(payloadType), ...(telephoneEventPt !== undefined ? [String(telephoneEventPt)] : [])]);
  const eol = offer.includes('\r\n') ? '\r\n' : '\n';
  const lines = offer.split(/\r?\n/);
  const out: string[] = [];
  let section: 'session' | 'target' | 'other' = 'session';
  let done = false;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      const parts = line.split(' ');
      if (!done && parts[0] === 'm=audio' && parts[1] !== '0') {
        done = true;
        section = 'target';
        out.push([...parts.slice(0, 3), ...parts.slice(3).filter((f) => keep.has(f))].join(' '));
        continue;
      }
      section = 'other';
    } else if (section === 'target') {
      const m = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]/.exec(line);
      if (m && m[1] !== '*' && !keep.has(m[1])) continue;
    }
    out.push(line);
  }
  return out.join(eol);
}
