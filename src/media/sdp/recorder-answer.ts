import { SdpError } from '../errors';
import { mediaCodecs, STATIC_PAYLOADS } from './sdp';
import type { Rtpmap, Sdp, SdpMedia } from './types';

/** Codecs the built-in recorder decodes itself; anything else is transcoded by rtpengine. */
export const RECORDER_CODECS: readonly string[] = ['PCMU', 'PCMA'];

/** Codec the fork is transcoded to when the call uses none of the recorder's codecs. */
export const TRANSCODE_TARGET = 'PCMA';

export interface RecorderStreamPlan {
  /** Index of the m-line in rtpengine's subscribe offer. */
  index: number;
  port: number;
  /** The codec the recorder expects first on this stream (the first of `codecs`). */
  codec: Rtpmap;
  /**
   * Every audio codec answered on this stream, in the offer's order: the sender may switch
   * between them at any packet (RFC 3264 section 6.1), e.g. a phone offering PCMU and PCMA.
   */
  codecs: Rtpmap[];
  /** Payload type of RFC 4733 telephone-event on this stream, if kept. */
  telephoneEventPt?: number;
  /** True when rtpengine must transcode this stream to `codec`. */
  transcode: boolean;
}

export interface RecorderAnswer {
  sdp: Sdp;
  streams: RecorderStreamPlan[];
  /** True when at least one stream needs transcoding (answer needs codec.transcode + 'allow transcoding'). */
  transcode: boolean;
}

const isAudioCodec = (c: Rtpmap): boolean => !/^(telephone-event|CN)$/i.test(c.encoding);

/**
 * Every offered codec the recorder accepts, in the offer's order. rtpengine lists the
 * participant's own codecs first and the codecs it can transcode to (requested with
 * codec.transcode) after them, so when the first offered audio codec is not among ours
 * rtpengine transcodes. Answering ALL the accepted codecs matters: rtpengine 10.5 refuses a
 * subscribe answer that narrows a multi-codec offer (PCMU+PCMA, as most phones offer) to one
 * codec unless transcoding is allowed, and a phone may switch between PCMU and PCMA.
 */
function chooseCodecs(offered: Rtpmap[], accepted: readonly string[]): { codecs: Rtpmap[]; transcode: boolean } {
  const audio = offered.filter(isAudioCodec);
  const ours = audio.filter((c) => c.clockRate === 8000 && accepted.some((a) => a.toUpperCase() === c.encoding.toUpperCase()));
  if (ours.length > 0) return { codecs: ours, transcode: ours[0] !== audio[0] };
  const target = Object.values(STATIC_PAYLOADS).find((p) => p.encoding === TRANSCODE_TARGET);
  if (!target) throw new SdpError(`no static payload type for ${TRANSCODE_TARGET}`);
  return { codecs: [target], transcode: true };
}

/**
 * Builds the recorder's SDP answer to rtpengine's subscribe offer (RFC 3264 section 6): one
 * recvonly m-line per offered m-line, in the same order, pointing at `ports[i]` on `host`,
 * with every offered codec the recorder accepts, else PCMA (to be transcoded by rtpengine).
 */
export function buildRecorderAnswer(
  offer: Sdp,
  host: string,
  ports: readonly number[],
  accepted: readonly string[] = RECORDER_CODECS,
  keepTelephoneEvent = true,
): RecorderAnswer {
  const audio = offer.media.filter((m) => m.type === 'audio');
  if (audio.length === 0) throw new SdpError('subscribe offer without audio m-line');
  if (ports.length < offer.media.length) {
    throw new SdpError(`subscribe offer has ${offer.media.length} m-lines, recorder gave ${ports.length} ports`);
  }
  const streams: RecorderStreamPlan[] = [];
  const media: SdpMedia[] = offer.media.map((m, index) => {
    if (m.type !== 'audio' || m.port === 0) {
      // RFC 3264 section 6: a rejected stream is answered with port 0 and the same format list
      return { type: m.type, port: 0, proto: m.proto, formats: m.formats, rtpmaps: [], otherAttributes: [], otherLines: [] };
    }
    const offered = mediaCodecs(m);
    const { codecs, transcode } = chooseCodecs(offered, accepted);
    const te = keepTelephoneEvent ? offered.find((c) => c.encoding.toLowerCase() === 'telephone-event' && c.clockRate === 8000) : undefined;
    const plan: RecorderStreamPlan = { index, port: ports[index], codec: codecs[0], codecs, transcode };
    if (te) plan.telephoneEventPt = te.payloadType;
    streams.push(plan);
    const rtpmaps = te ? [...codecs, te] : codecs;
    const answer: SdpMedia = {
      type: 'audio', port: ports[index], proto: m.proto,
      formats: rtpmaps.map((r) => String(r.payloadType)),
      rtpmaps, direction: 'recvonly', otherAttributes: [], otherLines: [],
    };
    if (m.label !== undefined) answer.label = m.label;
    if (m.mid !== undefined) answer.mid = m.mid;
    if (m.ptime !== undefined) answer.ptime = m.ptime;
    return answer;
  });
  const sdp: Sdp = {
    sessionLines: ['v=0', `o=- ${Date.now()} 1 IN ${host.includes(':') ? 'IP6' : 'IP4'} ${host}`, 's=recorder', 't=0 0'],
    connection: host,
    attributes: [],
    media,
  };
  return { sdp, streams, transcode: streams.some((s) => s.transcode) };
}
