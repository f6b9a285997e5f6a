import type { Logger } from 'pino';
import type { RecorderConfig } from '../config/sections/recorder';
import {
  recordingSettingsFrom, sessionOptionsFrom,
  type LegEndpoint, type RecorderHost, type RecorderSession, type RecordingHandle, type RecordingResult,
} from '../recorder';
import type { CallerCodec } from '../calls';
import type { CallFacts } from './meta';
import type { RecordingItem } from './plan';

/**
 * The recorder of record_caller: one socket for the caller's audio (relayed by rtpengine, which
 * anchors the caller as for every call) and, per record_caller step, one Recording of the caller alone. A step ends on one of
 * its terminator digits (RFC 4733 in the caller's stream), its time limit, or close() (the
 * caller hung up). Every finished recording is handed to `deliver`. close() is idempotent and
 * waits for the hand-overs.
 */

export interface CallerRecorderDeps {
  host: RecorderHost;
  recorder: Readonly<RecorderConfig>;
  log: Logger;
  /** Hands a finished (or failed) recording over; never rejects. */
  deliver(facts: CallFacts, item: RecordingItem, outcome: { result: RecordingResult } | { error: Error }): Promise<void>;
  onStarted?(item: RecordingItem): void;
}

export class CallerRecorder {
  private readonly session: RecorderSession;
  private current: { item: RecordingItem; rec: RecordingHandle } | undefined;
  private readonly deliveries: Promise<void>[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly d: CallerRecorderDeps, callId: string, private readonly facts: CallFacts) {
    this.session = d.host.session({ ...sessionOptionsFrom(d.recorder, callId, d.log), legs: ['caller'] });
    this.session.on('dtmf', (leg, digit, agoMs) => {
      const cur = this.current;
      if (leg !== 'caller' || !cur || !cur.item.terminators.includes(digit)) return;
      d.log.info({ digit }, 'record_caller ended by the caller');
      // Ends where the key's end packet arrived, not where the recorder got to reading it.
      void cur.rec.stop('dtmf', agoMs);
    });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Opens the caller's socket: where the caller's RTP must be sent. */
  async start(): Promise<LegEndpoint> {
    const [ep] = await this.session.start();
    return ep;
  }

  /** The codec (and telephone-event type) the caller was answered with. */
  setCodec(answer: CallerCodec): void {
    this.session.setLegCodec('caller', {
      payloadType: answer.payloadType, encoding: answer.encoding,
      ...(answer.telephoneEventPt !== undefined ? { telephoneEventPt: answer.telephoneEventPt } : {}),
    });
  }

  /**
   * Records one step from now until it ends; resolves with its result (undefined when the
   * recorder was closed first or the recording failed; failures are delivered as such).
   */
  async record(item: RecordingItem): Promise<RecordingResult | undefined> {
    if (this.closing) return undefined;
    const rec = this.session.record(recordingSettingsFrom(item.settings, this.d.recorder, ['caller']));
    this.deliveries.push(rec.finished.then(
      (result) => this.d.deliver(this.facts, item, { result }),
      (err: Error) => this.d.deliver(this.facts, item, { error: err }),
    ));
    this.current = { item, rec };
    rec.begin();
    this.d.onStarted?.(item);
    try {
      return await rec.finished;
    } catch {
      return undefined;
    } finally {
      this.current = undefined;
    }
  }

  /** Ends the step in progress (as a hang-up) and the socket; waits for the hand-overs. */
  close(reason = 'hangup'): Promise<void> {
    this.closing ??= (async () => {
      await this.session.close(reason).catch((err: unknown) => this.d.log.error({ err }, 'record_caller session close failed'));
      await Promise.allSettled(this.deliveries);
    })();
    return this.closing;
  }
}
