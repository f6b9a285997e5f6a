import type { Logger } from 'pino';
import type { CallMedia, ForkSubscription } from '../media';
import type { LegEndpoint, RecorderSession, RecordingResult } from '../recorder';
import type { MediaBase, MediaVerdict, MediaWitness } from './media-check';

/**
 * The media side of a CallRecorder: subscribing its session to the call's media in rtpengine
 * (the call's ONE fork) and judging, when a recording ends, whether it got the media the call
 * carried. Plain functions over the session, the fork and the witness; the recorder decides when.
 */

/**
 * Subscribes the session's sockets to the call's parties and tells the session each leg's
 * codecs (rtpengine passes payload types through, dynamic ones included). Resolves with the
 * fork, or undefined when rtpengine refused it (logged, the witness told: the recording is then
 * failed, not silently empty).
 */
export async function forkInto(media: CallMedia, session: RecorderSession, endpoints: readonly LegEndpoint[], witness: MediaWitness | undefined, log: Logger): Promise<ForkSubscription | undefined> {
  const byLeg = new Map(endpoints.map((e) => [e.leg, e]));
  const ports = ['caller', 'callee'].map((l) => byLeg.get(l)?.port ?? 0);
  let fork: ForkSubscription;
  try {
    fork = await media.fork({ host: endpoints[0]?.host ?? '127.0.0.1', ports });
  } catch (err) {
    log.error({ err }, 'recording fork failed');
    witness?.forkFailed(err instanceof Error ? err.message : String(err));
    return undefined;
  }
  const legOf = (port: number): string | undefined => endpoints.find((e) => e.port === port)?.leg;
  witness?.forked(fork.streams.map((s) => ({ leg: legOf(s.port) ?? s.participant, transcoded: s.transcode })));
  for (const s of fork.streams) {
    const leg = legOf(s.port);
    if (leg === undefined) continue;
    // Channel order assumes rtpengine lists the caller's monologue first (it does: creation order).
    if (leg !== s.participant) log.warn({ leg, participant: s.participant }, 'fork streams arrived in an unexpected order');
    try {
      for (const c of s.codecs) session.setLegCodec(leg, { payloadType: c.payloadType, encoding: c.encoding, ...(s.telephoneEventPt !== undefined ? { telephoneEventPt: s.telephoneEventPt } : {}) });
    } catch (err) {
      log.warn({ err, leg }, 'fork codec not decodable');
    }
  }
  return fork;
}

/** The media check of a finished recording (a failed check reads as complete: it must not lose the file). */
export async function verdictFor(witness: MediaWitness | undefined, base: MediaBase | undefined, origin: string, result: RecordingResult, log: Logger): Promise<MediaVerdict | undefined> {
  if (!witness || result.startedAt === null || result.discarded) return undefined;
  if (result.reason === 'media_failed') witness.anchorFailed();
  try {
    const v = await witness.verdict(base, result);
    if (v.status !== 'complete') log.warn({ origin, media: v.status, reason: v.reason, legs: v.legs }, 'recording did not get all of the call\'s media');
    return v;
  } catch (err) {
    log.warn({ err }, 'recording media check failed');
    return undefined;
  }
}
