import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { NgClient, type NgCommand, type NgTarget } from './ng/ng-client';
import { MediaClosedError, RtpengineError, RtpengineTimeout } from './errors';
import type {
  AnswerParams, DeleteParams, OfferParams, PlayMediaParams, QueryResult, SubscribeAnswerParams,
  SubscribeRequestParams, SubscribeRequestResult, UnsubscribeParams,
} from './ng/types';

export interface MediaServerEvents {
  /** An instance lost every call it anchored (local rtpengine died). */
  'instance-lost': [NgTarget];
  closed: [];
}

/**
 * Defaults for anchoring plain SIP phones and trunks: rewrite o=/c= to rtpengine's address,
 * strip ICE (RFC 8445 candidates would point around the anchor), plain RTP/AVP.
 */
const ANCHOR_DEFAULTS: Record<string, unknown> = {
  replace: ['origin', 'session-connection'],
  ICE: 'remove',
  'transport-protocol': 'RTP/AVP',
};

/**
 * Typed NG client over one or more rtpengine instances. A call sticks to one instance
 * (chosen by a hash of its Call-ID); a new call's first offer fails over to the next instance
 * on timeout. Every command is bounded by the command timeout (RtpengineTimeout); refusals
 * become RtpengineError with rtpengine's `error-reason`.
 */
export class MediaServer extends EventEmitter<MediaServerEvents> {
  private readonly clients: NgClient[];
  private readonly affinity = new Map<string, number>();
  private closed = false;
  private monitorTimer: NodeJS.Timeout | undefined;
  private readonly misses: number[] = [];

  constructor(targets: readonly NgTarget[], readonly timeoutMs: number, private readonly log: Logger) {
    super();
    // every live CallMedia listens for 'instance-lost': thousands of listeners are expected
    this.setMaxListeners(0);
    if (targets.length === 0) throw new RangeError('MediaServer needs at least one rtpengine instance');
    this.clients = targets.map((t) => new NgClient({ host: t.host, port: t.port }, timeoutMs));
  }

  get targets(): NgTarget[] {
    return this.clients.map((c) => c.target);
  }

  /** The instance index a call-id hashes to (stable across processes, unlike Map order). */
  hashIndex(callId: string): number {
    return createHash('sha1').update(callId).digest().readUInt32BE(0) % this.clients.length;
  }

  /** The instance that anchors this call (after its first offer), else the one it hashes to. */
  instanceOf(callId: string): NgTarget {
    return this.clients[this.affinity.get(callId) ?? this.hashIndex(callId)].target;
  }

  /** Tells the server an instance lost its state (called by the supervisor on rtpengine death). */
  markLost(target: NgTarget): void {
    const idx = this.clients.findIndex((c) => c.target.host === target.host && c.target.port === target.port);
    if (idx < 0) return;
    for (const [callId, i] of this.affinity) if (i === idx) this.affinity.delete(callId);
    this.emit('instance-lost', this.clients[idx].target);
  }

  private client(callId: string): NgClient {
    if (this.closed) throw new MediaClosedError('MediaServer');
    return this.clients[this.affinity.get(callId) ?? this.hashIndex(callId)];
  }

  private async call(callId: string, command: NgCommand, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const c = this.client(callId);
    this.log.debug({ callId, command, instance: c.label }, 'ng request');
    return c.send(command, { 'call-id': callId, ...params });
  }

  /** Pings one instance (default: the first). */
  async ping(index = 0): Promise<void> {
    if (this.closed) throw new MediaClosedError('MediaServer');
    const reply = await this.clients[index].send('ping');
    if (reply.result !== 'pong') throw new RtpengineError('ping', `unexpected result ${String(reply.result)}`);
  }

  /**
   * NG `offer`. A call's first offer may fail over: on timeout the next instance is tried (the
   * call has no state anywhere yet). Later offers (re-INVITE/UPDATE) go to the anchoring instance.
   */
  async offer(p: OfferParams): Promise<{ sdp: string }> {
    if (this.closed) throw new MediaClosedError('MediaServer');
    const params: Record<string, unknown> = { ...ANCHOR_DEFAULTS, 'call-id': p.callId, 'from-tag': p.fromTag, sdp: p.sdp };
    if (p.toTag !== undefined) params['to-tag'] = p.toTag;
    if (p.flags?.length) params.flags = p.flags;
    Object.assign(params, p.extra);
    const anchored = this.affinity.get(p.callId);
    const order = anchored !== undefined
      ? [anchored]
      : this.clients.map((_, i) => (this.hashIndex(p.callId) + i) % this.clients.length);
    let lastErr: unknown;
    for (const idx of order) {
      try {
        const reply = await this.clients[idx].send('offer', params);
        this.affinity.set(p.callId, idx);
        return { sdp: sdpOf(reply, 'offer') };
      } catch (err) {
        lastErr = err;
        if (!(err instanceof RtpengineTimeout)) throw err;
        this.log.warn({ callId: p.callId, instance: this.clients[idx].label }, 'rtpengine offer timed out, failing over');
      }
    }
    throw lastErr;
  }

  async answer(p: AnswerParams): Promise<{ sdp: string }> {
    const params: Record<string, unknown> = { ...ANCHOR_DEFAULTS, 'from-tag': p.fromTag, 'to-tag': p.toTag, sdp: p.sdp };
    if (p.flags?.length) params.flags = p.flags;
    Object.assign(params, p.extra);
    return { sdp: sdpOf(await this.call(p.callId, 'answer', params), 'answer') };
  }

  /** NG `delete` with `delete-delay: 0` (no lingering ports after a hang-up). */
  async delete(p: DeleteParams): Promise<void> {
    const params: Record<string, unknown> = { 'delete-delay': 0 };
    if (p.fromTag !== undefined) params['from-tag'] = p.fromTag;
    if (p.toTag !== undefined) params['to-tag'] = p.toTag;
    try {
      await this.call(p.callId, 'delete', params);
    } finally {
      if (p.fromTag === undefined && p.toTag === undefined) this.affinity.delete(p.callId);
    }
  }

  async query(callId: string): Promise<QueryResult> {
    return (await this.call(callId, 'query', {})) as QueryResult;
  }

  /** NG `subscribe request`: rtpengine's offer toward a new subscriber (the recorder). */
  async subscribeRequest(p: SubscribeRequestParams): Promise<SubscribeRequestResult> {
    const params: Record<string, unknown> = {};
    const flags = p.fromTags?.length ? [] : [...(p.flags ?? ['all'])];
    if (p.fromTags?.length) params['from-tags'] = p.fromTags;
    if (p.transcode?.length) {
      params.codec = { transcode: p.transcode };
      flags.push('allow transcoding');
    }
    if (flags.length) params.flags = flags;
    const reply = await this.call(p.callId, 'subscribeRequest', params);
    const toTag = reply['to-tag'];
    const fromTags = reply['from-tags'] ?? (typeof reply['from-tag'] === 'string' ? [reply['from-tag']] : undefined);
    if (typeof toTag !== 'string' || !Array.isArray(fromTags) || !fromTags.every((t) => typeof t === 'string')) {
      throw new RtpengineError('subscribeRequest', 'answer without to-tag or from-tags');
    }
    return { sdp: sdpOf(reply, 'subscribeRequest'), toTag, fromTags: fromTags as string[] };
  }

  /**
   * NG `subscribe answer`. Measured on rtpengine 10.5.3.5 userspace: transcoding the fork only
   * happens when the *request* already carried `codec: {transcode}` + 'allow transcoding' (so
   * the codec is in rtpengine's offer) and the answer picks it with 'allow transcoding' again;
   * the same keys on the answer alone are accepted but the fork stays in the call's codec, and
   * an answer picking the added codec without 'allow transcoding' is refused.
   */
  async subscribeAnswer(p: SubscribeAnswerParams): Promise<void> {
    const params: Record<string, unknown> = { 'to-tag': p.toTag, sdp: p.sdp };
    if (p.transcode?.length) {
      params.codec = { transcode: p.transcode };
      params.flags = ['allow transcoding'];
    }
    await this.call(p.callId, 'subscribeAnswer', params);
  }

  async unsubscribe(p: UnsubscribeParams): Promise<void> {
    await this.call(p.callId, 'unsubscribe', { 'to-tag': p.toTag });
  }

  /**
   * NG `play media` (rtpengine decodes the file and sends it, encoded in the party's codec, as
   * its own RTP stream toward the monologue `fromTag`; measured on 10.5.3.5 userspace: only that
   * monologue gets it, a fork does not). Resolves with the duration rtpengine reports, in ms.
   */
  async playMedia(p: PlayMediaParams): Promise<number> {
    const reply = await this.call(p.callId, 'playMedia', { 'from-tag': p.fromTag, ...p.source });
    if (typeof reply.duration !== 'number') throw new RtpengineError('playMedia', 'answer without duration');
    return reply.duration;
  }

  /** NG `block media` / `unblock media`: stops (resumes) forwarding what `fromTag` sends, to the other party and to forks alike. */
  async blockMedia(callId: string, fromTag: string, block: boolean): Promise<void> {
    await this.call(callId, block ? 'blockMedia' : 'unblockMedia', { 'from-tag': fromTag });
  }

  /**
   * Health checks for external instances: ping each every `intervalMs`; after
   * `missesBeforeLost` consecutive timeouts the instance is reported lost once (its calls get
   * 'failed'), and reported again only after it answered in between.
   */
  monitor(intervalMs: number, missesBeforeLost = 3): void {
    if (this.closed || this.monitorTimer) return;
    this.clients.forEach((_, i) => (this.misses[i] = 0));
    const round = (): void => {
      this.clients.forEach((c, i) => {
        c.send('ping').then(
          () => (this.misses[i] = 0),
          () => {
            this.misses[i]++;
            if (this.misses[i] === missesBeforeLost && !this.closed) {
              this.log.error({ instance: c.label }, 'rtpengine instance stopped answering ping');
              this.markLost(c.target);
            }
          },
        );
      });
    };
    this.monitorTimer = setInterval(round, intervalMs);
    this.monitorTimer.unref();
  }

  /** Closes the NG sockets and health checks. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.monitorTimer) clearInterval(this.monitorTimer);
    for (const c of this.clients) c.close();
    this.affinity.clear();
    this.emit('closed');
  }
}

function sdpOf(reply: Record<string, unknown>, command: string): string {
  if (typeof reply.sdp !== 'string') throw new RtpengineError(command, 'answer without sdp');
  return reply.sdp;
}
