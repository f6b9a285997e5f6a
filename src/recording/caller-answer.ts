import { CallError } from '../calls';
import { mediaCodecs, parseSdp } from '../media';

/**
 * Pure: the SDP answer a terminal record_caller gives the caller, pointing the caller's audio
 * straight at the recorder's socket (no callee, so nothing to anchor in rtpengine). The first
 * audio m-line offering PCMU or PCMA (in the offerer's preference order) is accepted, with
 * RFC 4733 telephone-event when offered (so `#` can end the recording); every other m-line is
 * rejected with port 0 (RFC 3264 section 6). We only receive: recvonly (RFC 3264 section 6.1).
 *
 * The same answer, sendrecv, is what a record_caller before a routing module gives rtpengine as
 * the (temporary) callee: the caller's media is then anchored already and the real callee later
 * takes that side over, so the caller's session must stay sendrecv (a recvonly answer would need
 * a re-INVITE to the caller once the callee answers).
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
  const sdp = parseSdp(offer);
  let chosen: Omit<CallerAnswer, 'sdp'> | undefined;
  const lines: string[] = [];
  const ip = host.includes(':') ? 'IP6' : 'IP4';
  for (const m of sdp.media) {
    const codecs = mediaCodecs(m);
    const audio = m.type === 'audio' && m.port !== 0 && chosen === undefined
      ? codecs.find((c) => /^(PCMU|PCMA)$/i.test(c.encoding) && c.clockRate === 8000)
      : undefined;
    if (!audio) {
      lines.push(`m=${m.type} 0 ${m.proto} ${m.formats.join(' ')}`);
      continue;
    }
    const te = codecs.find((c) => c.encoding.toLowerCase() === 'telephone-event' && c.clockRate === 8000);
    chosen = { payloadType: audio.payloadType, encoding: audio.encoding.toUpperCase() as 'PCMU' | 'PCMA', ...(te ? { telephoneEventPt: te.payloadType } : {}) };
    lines.push(`m=audio ${port} ${m.proto} ${audio.payloadType}${te ? ` ${te.payloadType}` : ''}`);
    lines.push(`a=rtpmap:${audio.payloadType} ${chosen.encoding}/8000`);
    if (te) lines.push(`a=rtpmap:${te.payloadType} telephone-event/8000`, `a=fmtp:${te.payloadType} 0-16`);
    lines.push('a=ptime:20', `a=${direction}`);
  }
  if (!chosen) throw new NoAcceptableCodecError();
  const head = ['v=0', `o=- ${sessionId} 1 IN ${ip} ${host}`, 's=-', `c=IN ${ip} ${host}`, 't=0 0'];
  return { ...chosen, sdp: `${[...head, ...lines].join('\r\n')}\r\n` };
}

/**
 * Pure: the offer with its first audio m-line reduced to one codec (and RFC 4733
 * telephone-event when given), the rtpmap/fmtp lines of every other payload type dropped. The
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
