import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { HangupBy, HangupCause, MediaFailedError, type BeforeRinging } from '../calls';
import type { RecordingDefaults } from '../policy';
import { answerForRecorder, restrictOffer, type CallerAnswer } from './caller-answer';
import { CallerRecorder, type CallerRecorderDeps } from './caller-recorder';
import { factsFromHeaders, type CallFacts } from './meta';
import { recordCallerSteps, type RefusedRecording } from './plan';

/**
 * `record_caller` followed by a routing module (`record_caller -> device | user | resources`),
 * done as Kazoo's cf_record_caller does it: answer the caller at once (answer_now), record the
 * caller alone until a key press, the time limit or hang-up (b_record with every digit as a
 * terminator here only `#`, see RECORD_CALLER_TERMINATORS), and only then continue to the child
 * (cf_exe:continue): the callee is rung after the recording, with the caller already answered.
 *
 * How, with rtpengine anchoring every call: the caller's offer is anchored as usual; the
 * recorder's socket answers it as a temporary callee under a tag of our own, and the caller gets
 * rtpengine's answer in its 200. The caller's RTP then flows through rtpengine to the recorder.
 * When the real callee answers, the B2BUA gives rtpengine the callee's answer under the same
 * tag, so rtpengine just re-points that side at the callee: the caller's session (address,
 * codec) does not change and needs no re-INVITE. The callee is offered only the codec the caller
 * was answered with (restrictOffer).
 */

export interface RecordCallerFirstDeps extends Omit<CallerRecorderDeps, 'log'> {
  /** record_caller steps refused at planning (no URL): one call, the list. */
  onRefused?(facts: CallFacts, refused: readonly RefusedRecording[], log: Logger): void;
  defaults?: Partial<RecordingDefaults>;
}

export class RecordCallerFirst {
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly d: RecordCallerFirstDeps) {}

  /**
   * The B2BUA's before-ringing step. Resolves with the offer to ring the callee with (the
   * given one when the flow has no record_caller before its routing module). When the caller
   * hung up meanwhile the call is ended and the B2BUA stops there.
   */
  readonly beforeRinging: BeforeRinging = async (call, offer, answerCaller) => {
    const decision = call.decision;
    if (!decision) return offer;
    const steps = recordCallerSteps({
      callId: call.callId, caller: call.caller, actions: decision.actions,
      ...(decision.callflow ? { callflowId: decision.callflow.id } : {}),
      ...(this.d.defaults ? { defaults: this.d.defaults } : {}),
    });
    if (steps.items.length === 0 && steps.refused.length === 0) return offer;
    const log = call.log.child({ part: 'record_caller' });
    const facts = factsFromHeaders(call.accountId, call.callId, call.fromHeader, call.toHeader, decision.number);
    if (steps.refused.length > 0) this.d.onRefused?.(facts, steps.refused, log);
    const media = call.media;
    if (steps.items.length === 0 || !media) return offer;

    const rc = new CallerRecorder({ ...this.d, log }, call.callId, facts);
    const finished = rc.close.bind(rc);
    // The caller's BYE (or any other end of the call) ends the recording in progress.
    call.onClose(() => void finished('hangup'));
    const tracked = (async () => {
      const ep = await rc.start();
      // No PCMU/PCMA offered: NoAcceptableCodecError, a CallError, so the B2BUA answers 488.
      const answer: CallerAnswer = answerForRecorder(offer, ep.host, ep.port, randomInt(1, 2 ** 31), 'sendrecv');
      rc.setCodec(answer);
      // A tag of our own: rtpengine only uses it to name that side; the callee takes it over.
      const tag = `rc-${randomBytes(6).toString('hex')}`;
      const sdpForCaller = await media.answerFromCallee(answer.sdp, tag).catch((err: unknown) => { throw new MediaFailedError(err); });
      if (call.ended) return offer;
      const uas = await answerCaller(sdpForCaller);
      call.uas = uas;
      if (call.ended) {
        uas.destroy();
        return offer;
      }
      uas.on('destroy', () => void call.close({ cause: HangupCause.NormalClearing, by: HangupBy.Caller }, uas));
      log.info({ steps: steps.items.length, codec: answer.encoding }, 'record_caller answered the caller before routing');
      for (const item of steps.items) {
        const r = await rc.record(item);
        log.info({ reason: r?.reason, durationSec: r?.durationSec }, 'record_caller step ended');
        if (call.ended) break;
      }
      if (!call.ended) log.info('record_caller done; the callflow continues');
      return restrictOffer(offer, answer.payloadType, answer.telephoneEventPt);
    })();
    const closing = tracked.then(() => rc.close('closed'), () => rc.close('closed'));
    this.active.add(closing);
    void closing.finally(() => this.active.delete(closing));
    return tracked;
  };

  /** Waits for the record_caller recordings in progress to be handed over (service shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.active]);
  }
}
