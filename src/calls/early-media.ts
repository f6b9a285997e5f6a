import type Srf from 'drachtio-srf';
import type { Call } from './call';

/**
 * Early media (RFC 3960): a 183 with SDP from a callee branch is answered in rtpengine like a
 * 200 (under that branch's To-tag) and relayed to the caller as a 183 with rtpengine's SDP, so
 * ringback tones and announcements from the far end reach the caller through the anchor. PRACK
 * (RFC 3262) is not offered, so the 183's SDP is a preview of the answer: the 200 carries the
 * answer, which goes to rtpengine again under the winner's tag (the same one when the early
 * branch answers, another one re-points rtpengine at the winner).
 *
 * One branch's early media is relayed per call (the first 183 with SDP): a caller's session has
 * one remote media, and forked early media would need one of them chosen anyway (RFC 3960
 * section 3.2 leaves it to the UA). Not for a caller answered before ringing (record_caller):
 * its dialog is confirmed, a 183 cannot be sent any more.
 */

function toTagOf(res: Srf.SrfResponse): string | undefined {
  try {
    const tag = res.getParsedHeader('To').params?.tag;
    return typeof tag === 'string' && tag !== '' ? tag : undefined;
  } catch {
    return undefined;
  }
}

function hasSdp(res: Srf.SrfResponse): boolean {
  const type = res.has('Content-Type') ? res.get('Content-Type').toLowerCase() : '';
  return typeof res.body === 'string' && res.body.trim() !== '' && type.startsWith('application/sdp');
}

export class EarlyMedia {
  private tag: string | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly call: Call, private readonly res: Srf.SrfResponse) {}

  /** True once a branch's early media is (being) relayed: its ringing needs no 180 any more. */
  get active(): boolean {
    return this.tag !== undefined;
  }

  /** A provisional response of a branch: relays it when it is the call's first 183 with SDP. */
  provisional(prov: Srf.SrfResponse): void {
    if (this.tag !== undefined || prov.status !== 183 || !hasSdp(prov) || this.call.uas) return;
    const tag = toTagOf(prov);
    if (!tag) return;
    this.tag = tag;
    this.pending = this.relay(prov.body, tag);
  }

  /** Settles when a relay in flight is done: the final answer must reach rtpengine after it. */
  settled(): Promise<void> {
    return this.pending;
  }

  private async relay(sdp: string, tag: string): Promise<void> {
    const media = this.call.media;
    if (!media) return;
    try {
      const forCaller = await media.answerFromCallee(sdp, tag);
      if (this.res.finalResponseSent || this.call.ended || this.call.uas) return;
      this.res.send(183, { body: forCaller, headers: { 'Content-Type': 'application/sdp' } });
      this.call.log.info({ tag }, 'early media relayed (183 with SDP)');
      this.call.emit('earlyMedia', this.call);
    } catch (err) {
      // The call goes on without early media; the 200's answer is what matters (a lost
      // rtpengine fails the call through CallMedia's own 'failed' event).
      this.call.log.warn({ err }, 'early media not relayed');
    }
  }
}
