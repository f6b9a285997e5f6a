import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { MediaServer } from './media-server';
import type { NgTarget } from './ng/ng-client';
import { MediaClosedError, MediaStateError, RtpengineLost, RtpengineTimeout, type MediaError } from './errors';
import { parseSdp, serializeSdp } from './sdp/sdp';
import { buildRecorderAnswer, RECORDER_CODECS, TRANSCODE_TARGET, type RecorderStreamPlan } from './sdp/recorder-answer';
import type { PlaySource } from './ng/types';
import { PLAIN_RTP, legProtocol, offeredProtocol, type SrtpMode } from './srtp';

export enum CallMediaState {
  New = 'new',
  /** Caller's offer anchored, waiting for the callee's answer. */
  Offering = 'offering',
  /** Both legs anchored. */
  Active = 'active',
  Closed = 'closed',
}

export type Side = 'caller' | 'callee';

export interface ForkStream extends RecorderStreamPlan {
  /** Which party this stream carries. */
  participant: Side;
  /** That party's rtpengine tag. */
  tag: string;
}

export interface PartyStats {
  packets: number;
  bytes: number;
  errors: number;
}

export interface CallMediaEvents {
  /** rtpengine failed under this call (timeout, instance died): call control should tear the call down. */
  failed: [MediaError];
  closed: [];
}

/** A recording fork: rtpengine sends one stream per participant to the recorder's ports. */
export class ForkSubscription {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly media: CallMedia,
    readonly toTag: string,
    readonly streams: readonly ForkStream[],
    readonly transcoded: boolean,
  ) {}

  /** Ends the fork (NG unsubscribe). Idempotent; a no-op once the call is closed (delete covers it). */
  close(): Promise<void> {
    this.closing ??= this.media.unsubscribe(this);
    return this.closing;
  }
}

/** Where a fork should send: the recorder's address and one UDP port per participant. */
export interface ForkTarget {
  host: string;
  /** Ports in rtpengine's m-line order; at least two for a two-party call. */
  ports: readonly number[];
  /** Codecs the recorder decodes (default PCMU, PCMA); others are transcoded to PCMA. */
  accept?: readonly string[];
}

/**
 * The media of one B2BUA call anchored in rtpengine under one NG call-id, the caller's
 * monologue tagged `callerTag` (A-leg From-tag) and the callee's `calleeTag` (B-leg To-tag).
 * Owns its fork subscriptions; close() deletes the call and cascades to them.
 */
export class CallMedia extends EventEmitter<CallMediaEvents> {
  private state: CallMediaState = CallMediaState.New;
  private calleeTagValue: string | undefined;
  /** 'failed' is reported once. */
  private failed = false;
  /** The anchoring instance lost its state: close() skips the delete (nothing left to delete). */
  private lost = false;
  /** The first offer came from the callee (INVITE without SDP). */
  private lateOffer = false;
  private readonly forks = new Set<ForkSubscription>();
  private closing: Promise<void> | undefined;
  /** A fork was made: close() reads the final counters before the delete. */
  private forkedOnce = false;
  private finalStats: Promise<Record<Side, PartyStats> | undefined> | undefined;
  private instance: NgTarget | undefined;
  /** The RTP profile each side speaks (RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVP...): rtpengine's `transport-protocol` toward it. */
  private readonly profile: Record<Side, string> = { caller: PLAIN_RTP, callee: PLAIN_RTP };
  private readonly onInstanceLost = (t: NgTarget): void => {
    if (this.instance && t.host === this.instance.host && t.port === this.instance.port) {
      this.lost = true;
      this.fail(new RtpengineLost(`${t.host}:${t.port}`));
    }
  };

  constructor(
    private readonly server: MediaServer,
    readonly callId: string,
    readonly callerTag: string,
    private readonly log: Logger,
    /** Media encryption toward the callee (its device or trunk settings); the caller keeps what it offers. */
    private readonly calleeSrtp: SrtpMode = 'none',
  ) {
    super();
    server.on('instance-lost', this.onInstanceLost);
  }

  get currentState(): CallMediaState {
    return this.state;
  }

  get calleeTag(): string | undefined {
    return this.calleeTagValue;
  }

  private transition(next: CallMediaState): void {
    this.log.debug({ from: this.state, to: next }, 'call media state');
    this.state = next;
  }

  private tagOf(side: Side): string {
    if (side === 'caller') return this.callerTag;
    if (this.calleeTagValue === undefined) throw new MediaStateError('address the callee', this.state);
    return this.calleeTagValue;
  }

  /** Whether `side` speaks SRTP (SDES or DTLS): rtpengine's stream errors are then failed authentications. */
  isSrtp(side: Side): boolean {
    return this.profile[side].includes('SAVP');
  }

  /** NG parameters for SDP sent toward `side`: its own RTP profile, so each leg keeps its encryption. */
  private toward(side: Side): Record<string, unknown> {
    return { 'transport-protocol': this.profile[side] };
  }

  /** Runs one NG command; a timeout means rtpengine is gone for this call: emit 'failed'. */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    if (this.state === CallMediaState.Closed) throw new MediaClosedError(`CallMedia ${this.callId}`);
    try {
      return await op();
    } catch (err) {
      if (err instanceof RtpengineTimeout) this.fail(err);
      throw err;
    }
  }

  private fail(err: MediaError): void {
    if (this.state === CallMediaState.Closed || this.failed) return;
    this.failed = true;
    this.log.error({ err }, 'rtpengine failed under the call');
    this.emit('failed', err);
  }

  /** Caller's SDP offer -> rtpengine offer -> the SDP to send to the callee. */
  async offerFromCaller(sdp: string): Promise<string> {
    if (this.state !== CallMediaState.New && this.state !== CallMediaState.Offering) {
      throw new MediaStateError('offer from caller', this.state);
    }
    this.profile.caller = offeredProtocol(sdp) ?? PLAIN_RTP;
    this.profile.callee = legProtocol(this.calleeSrtp, this.profile.caller);
    const out = await this.guard(() => this.server.offer({ callId: this.callId, fromTag: this.callerTag, sdp, extra: this.toward('callee') }));
    this.instance = this.server.instanceOf(this.callId);
    this.transition(CallMediaState.Offering);
    return out.sdp;
  }

  /**
   * Late offer (RFC 3261 section 13.2.1: INVITE without SDP): the callee offers in its 2xx,
   * the caller answers in the ACK. Callee's SDP offer -> rtpengine offer -> SDP for the caller.
   */
  async offerFromCallee(sdp: string, calleeTag: string): Promise<string> {
    if (this.state !== CallMediaState.New) throw new MediaStateError('late offer from callee', this.state);
    // The caller offered nothing: it gets plain RTP unless it asks otherwise in its answer.
    this.profile.callee = offeredProtocol(sdp) ?? PLAIN_RTP;
    const out = await this.guard(() => this.server.offer({ callId: this.callId, fromTag: calleeTag, toTag: this.callerTag, sdp, extra: this.toward('caller') }));
    this.instance = this.server.instanceOf(this.callId);
    this.calleeTagValue = calleeTag;
    this.lateOffer = true;
    this.transition(CallMediaState.Offering);
    return out.sdp;
  }

  /** The caller's answer (in the ACK) to a late offer -> SDP for the callee (its ACK). */
  async answerFromCaller(sdp: string): Promise<string> {
    if (this.state !== CallMediaState.Offering || !this.lateOffer) throw new MediaStateError('answer from caller', this.state);
    const fromTag = this.tagOf('callee');
    const out = await this.guard(() => this.server.answer({ callId: this.callId, fromTag, toTag: this.callerTag, sdp, extra: this.toward('callee') }));
    this.transition(CallMediaState.Active);
    return out.sdp;
  }

  /** Callee's SDP answer (its To-tag) -> rtpengine answer -> the SDP to send to the caller. */
  async answerFromCallee(sdp: string, calleeTag: string): Promise<string> {
    // Active is allowed too: a provisional answer (183) may be followed by the final one, from
    // the same branch or, when the INVITE forked (RFC 3261 section 16.7), from another one.
    if ((this.state !== CallMediaState.Offering && this.state !== CallMediaState.Active) || this.lateOffer) {
      throw new MediaStateError('answer from callee', this.state);
    }
    const out = await this.guard(() => this.server.answer({ callId: this.callId, fromTag: this.callerTag, toTag: calleeTag, sdp, extra: this.toward('caller') }));
    this.calleeTagValue = calleeTag;
    this.transition(CallMediaState.Active);
    return out.sdp;
  }

  /**
   * RTP counters per party as rtpengine counts what it received from each (NG query), for
   * metrics and for proving media flowed. Missing parties read as zero.
   */
  async stats(): Promise<Record<Side, PartyStats>> {
    if (this.state === CallMediaState.Closed) {
      // After close: the counters read just before the delete (kept when the call was forked,
      // so a recording finishing after the hang-up can still compare them with its own).
      const last = await this.finalStats;
      if (!last) throw new MediaClosedError(`CallMedia ${this.callId}`);
      return last;
    }
    return this.guard(() => this.readStats());
  }

  private async readStats(): Promise<Record<Side, PartyStats>> {
    const q = await this.server.query(this.callId);
    const read = (tag: string | undefined): PartyStats => {
      const out: PartyStats = { packets: 0, bytes: 0, errors: 0 };
      const medias = tag !== undefined ? q.tags?.[tag]?.medias ?? [] : [];
      for (const m of medias) {
        const rtp = m.streams?.[0]?.stats; // streams[0] is RTP, streams[1] its RTCP
        out.packets += rtp?.packets ?? 0;
        out.bytes += rtp?.bytes ?? 0;
        out.errors += rtp?.errors ?? 0;
      }
      return out;
    };
    return { caller: read(this.callerTag), callee: read(this.calleeTagValue) };
  }

  /** In-dialog re-offer (re-INVITE or UPDATE, e.g. hold/resume) from `from` -> SDP for the other side. */
  async reoffer(from: Side, sdp: string): Promise<string> {
    if (this.state !== CallMediaState.Active) throw new MediaStateError('re-offer', this.state);
    const fromTag = this.tagOf(from);
    const toTag = this.tagOf(from === 'caller' ? 'callee' : 'caller');
    return (await this.guard(() => this.server.offer({ callId: this.callId, fromTag, toTag, sdp, extra: this.toward(from === 'caller' ? 'callee' : 'caller') }))).sdp;
  }

  /** The other side's answer to a re-offer made by `offerer` -> SDP for the offerer. */
  async reanswer(offerer: Side, sdp: string): Promise<string> {
    if (this.state !== CallMediaState.Active) throw new MediaStateError('re-answer', this.state);
    const fromTag = this.tagOf(offerer);
    const toTag = this.tagOf(offerer === 'caller' ? 'callee' : 'caller');
    return (await this.guard(() => this.server.answer({ callId: this.callId, fromTag, toTag, sdp, extra: this.toward(offerer) }))).sdp;
  }

  /**
   * Starts a recording fork: `subscribe request` (flag 'all': one m-line per participant),
   * our answer pointing each m-line at `target.ports[i]`, transcoding to PCMA when a
   * participant's codec is not one the recorder decodes. Returns which stream is which party.
   */
  async fork(target: ForkTarget): Promise<ForkSubscription> {
    if (this.state !== CallMediaState.Active) throw new MediaStateError('fork', this.state);
    // Always let rtpengine offer PCMA besides the call's codec: a call in G.722 or Opus is then
    // recordable without a second round trip; G.711 calls are still passed through untouched.
    const req = await this.guard(() => this.server.subscribeRequest({ callId: this.callId, flags: ['all'], transcode: [TRANSCODE_TARGET] }));
    let plan: ReturnType<typeof buildRecorderAnswer>;
    try {
      plan = buildRecorderAnswer(parseSdp(req.sdp), target.host, target.ports, target.accept ?? RECORDER_CODECS);
      // The recorder takes plain RTP: rtpengine's subscription offer mirrors each source's
      // profile (RTP/SAVP with a=crypto for an SRTP party); answering RTP/AVP makes rtpengine
      // send that party decrypted (else the recorder would write the ciphertext as noise).
      for (const m of plan.sdp.media) if (m.port !== 0) m.proto = PLAIN_RTP;
      await this.guard(() => this.server.subscribeAnswer({
        callId: this.callId, toTag: req.toTag, sdp: serializeSdp(plan.sdp),
        // The request asked for the transcode target, so the answer must allow transcoding
        // too, whichever codecs it picks: rtpengine 10.5 refuses ("Failed to process
        // subscription answer") an answer that drops codecs of a multi-codec offer otherwise.
        transcode: [TRANSCODE_TARGET],
      }));
    } catch (err) {
      // do not leave a half-made subscriber behind in rtpengine
      if ((this.state as CallMediaState) !== CallMediaState.Closed) {
        await this.server.unsubscribe({ callId: this.callId, toTag: req.toTag }).catch(() => undefined);
      }
      throw err;
    }
    const streams: ForkStream[] = plan.streams.map((s) => {
      const tag = req.fromTags[s.index] ?? '';
      return { ...s, tag, participant: tag === this.callerTag ? 'caller' : 'callee' };
    });
    const sub = new ForkSubscription(this, req.toTag, streams, plan.transcode);
    if ((this.state as CallMediaState) === CallMediaState.Closed) {
      // closed while subscribing: the call's delete already removed the subscription
      return sub;
    }
    this.forks.add(sub);
    this.forkedOnce = true;
    this.log.info({ toTag: req.toTag, streams: streams.map((s) => ({ p: s.participant, port: s.port, codecs: s.codecs.map((c) => c.encoding).join(',') })) }, 'fork started');
    return sub;
  }

  /**
   * Notice of recording: plays `source` to both parties, and to `fork`'s first stream (the
   * caller's) when the notice must be in the recording, while what the parties send is
   * blocked. rtpengine 10.5 has no mixing player: a played file is a second RTP stream (its own
   * SSRC) interleaved with the forwarded one, so each receiver hears the notice alone only when
   * the forwarding is blocked meanwhile. Resolves with the duration (ms) once it is over and the
   * parties' media flows again (unblocked even when playing failed).
   */
  async announce(source: PlaySource, fork?: ForkSubscription): Promise<number> {
    if (this.state !== CallMediaState.Active) throw new MediaStateError('announce', this.state);
    const parties = [this.callerTag, this.tagOf('callee')];
    const block = (on: boolean): Promise<unknown> =>
      Promise.all(parties.map((tag) => this.guard(() => this.server.blockMedia(this.callId, tag, on))));
    await block(true);
    try {
      const targets = fork ? [...parties, fork.toTag] : parties;
      const durations = await Promise.all(targets.map((tag) => this.guard(() => this.server.playMedia({ callId: this.callId, fromTag: tag, source }))));
      const ms = Math.max(...durations);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    } finally {
      if ((this.state as CallMediaState) === CallMediaState.Active) await block(false);
    }
  }

  /** @internal used by ForkSubscription.close(). */
  async unsubscribe(sub: ForkSubscription): Promise<void> {
    if (!this.forks.delete(sub) || this.state === CallMediaState.Closed) return;
    await this.guard(() => this.server.unsubscribe({ callId: this.callId, toTag: sub.toTag }));
  }

  /** Deletes the call in rtpengine (cascading to its forks). Idempotent; never rejects. */
  close(): Promise<void> {
    if (!this.closing) {
      const wasAnchored = this.state !== CallMediaState.New && !this.lost;
      this.transition(CallMediaState.Closed);
      this.forks.clear();
      this.server.off('instance-lost', this.onInstanceLost);
      const last = wasAnchored && this.forkedOnce ? this.readStats().catch(() => undefined) : Promise.resolve(undefined);
      this.finalStats = last;
      this.closing = (wasAnchored ? last.then(() => this.server.delete({ callId: this.callId })) : Promise.resolve())
        .catch((err: unknown) => this.log.warn({ err }, 'rtpengine delete failed'))
        .then(() => {
          this.emit('closed');
        });
    }
    return this.closing;
  }
}

