import { randomBytes, randomInt } from 'node:crypto';
import type Srf from 'drachtio-srf';
import { CallState, type Call } from './call';
import { answerForRecorder, restrictOffer, type CallerAnswer } from './caller-answer';
import { MediaFailedError } from './errors';
import type { FlowAction } from './plan';

/**
 * The answer-first phase of a call, run by the B2BUA between routing and ringing: the callflow's
 * record_caller steps, done as Kazoo's cf_record_caller does them: answer the caller at once
 * (answer_now), record the caller alone until a terminator digit, the time limit or hang-up,
 * then continue to the child (cf_exe:continue), or hang up when the flow ends there.
 *
 * Call control owns the legs: it answers the caller, keeps the dialog and ends the call. The
 * recording part only provides a sink (where the caller's audio goes, and the recordings made
 * of it) through the AnswerFirstPort it is given; it never touches the call's state.
 *
 * Media: the caller's offer is anchored in rtpengine as for any call; the sink's socket answers
 * it as a temporary callee under a tag of our own, and the caller gets rtpengine's answer in its
 * 200. When the real callee answers later, the B2BUA gives rtpengine that answer under the same
 * tag, so rtpengine re-points that side at the callee: the caller's session (address, codec)
 * does not change and needs no re-INVITE. The callee is offered only the codec the caller was
 * answered with (restrictOffer).
 */

/** The codec the caller was answered with, for the sink's decoder. */
export type CallerCodec = Omit<CallerAnswer, 'sdp'>;

export interface CallerSink {
  /** Where rtpengine sends the caller's audio. */
  readonly host: string;
  readonly port: number;
  /**
   * Runs the steps in order on the caller's audio in `codec`; resolves when the last one ended
   * (a terminator digit, its time limit, or close()). Never rejects.
   */
  run(codec: CallerCodec): Promise<void>;
  /** Ends the step in progress and frees the socket; idempotent, never rejects. */
  close(): Promise<void>;
}

export interface AnswerFirstPort {
  /**
   * A sink for the call's answer-first steps, or undefined when none of them can run (each
   * refused, e.g. without an upload URL: Kazoo then goes straight on to the child).
   */
  open(call: Call, steps: readonly FlowAction[]): Promise<CallerSink | undefined>;
}

/** Sends the caller its 200 with this SDP and binds the dialog to the call; undefined when the call ended meanwhile. */
export type AnswerCaller = (localSdp: string) => Promise<Srf.Dialog | undefined>;

/**
 * Runs the decision's answer-first steps. Resolves with the offer to ring the callee with (the
 * given one when no step ran), or undefined when the call ended meanwhile.
 */
export async function runAnswerFirst(call: Call, port: AnswerFirstPort | undefined, offer: string, answerCaller: AnswerCaller): Promise<string | undefined> {
  const decision = call.decision;
  const media = call.media;
  if (!decision || decision.answerFirst.length === 0 || !port || !media) return offer;
  const sink = await port.open(call, decision.answerFirst);
  if (!sink) return offer;
  // The caller's BYE (or any other end of the call) ends the step in progress.
  call.onClose(() => sink.close());
  // No PCMU/PCMA offered: NoAcceptableCodecError, a CallError, so the caller gets 488.
  const nobodyNext = decision.stages.length === 0;
  const answer = answerForRecorder(offer, sink.host, sink.port, randomInt(1, 2 ** 31), nobodyNext ? 'recvonly' : 'sendrecv');
  // A tag of our own: rtpengine only uses it to name that side; the callee takes it over.
  const tag = `af-${randomBytes(6).toString('hex')}`;
  const sdpForCaller = await media.answerFromCallee(answer.sdp, tag).catch((err: unknown) => { throw new MediaFailedError(err); });
  if (call.ended) return undefined;
  const uas = await answerCaller(sdpForCaller);
  if (!uas || call.ended) return undefined;
  call.moveTo(CallState.CallerAnswered);
  call.log.info({ steps: decision.answerFirst.length, codec: answer.encoding }, 'caller answered before ringing (record_caller)');
  call.emit('callerAnswered', call);
  const { sdp: _sdp, ...codec } = answer;
  await sink.run(codec);
  // Frees the socket; the recordings' hand-over to delivery goes on without holding the call.
  void sink.close();
  if (call.ended) return undefined;
  call.log.info('record_caller done; the callflow continues');
  return restrictOffer(offer, answer.payloadType, answer.telephoneEventPt);
}
