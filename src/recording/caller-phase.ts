import type { Logger } from 'pino';
import type { AnswerFirstPort, Call, CallerSink, FlowAction } from '../calls';
import type { RecordingDefaults } from '../policy';
import { CallerRecorder, type CallerRecorderDeps } from './caller-recorder';
import { factsFromHeaders, type CallFacts } from './meta';
import { recordCallerSteps, type RefusedRecording } from './plan';

/**
 * The recording side of the B2BUA's answer-first phase (record_caller): plans the steps the
 * router put in the call's decision (each the caller alone, mono, from the caller's answer,
 * ended by a terminator digit, its time limit or hang-up), and gives call control a sink whose
 * socket receives the caller's audio. Call control answers the caller, owns the dialog and
 * decides what follows; nothing here touches the call.
 */

export interface CallerPhaseDeps extends Omit<CallerRecorderDeps, 'log'> {
  /** record_caller steps refused at planning (no URL): one call, the list. */
  onRefused?(facts: CallFacts, refused: readonly RefusedRecording[], log: Logger): void;
  defaults?: Partial<RecordingDefaults>;
}

export class CallerPhase implements AnswerFirstPort {
  private readonly active = new Set<CallerRecorder>();

  constructor(private readonly d: CallerPhaseDeps) {}

  async open(call: Call, actions: readonly FlowAction[]): Promise<CallerSink | undefined> {
    const decision = call.decision;
    const steps = recordCallerSteps({
      callId: call.callId, caller: call.caller, actions: [...actions],
      ...(decision?.callflow ? { callflowId: decision.callflow.id } : {}),
      ...(this.d.defaults ? { defaults: this.d.defaults } : {}),
    });
    const log = call.log.child({ part: 'record_caller' });
    const facts = factsFromHeaders(call.accountId, call.callId, call.fromHeader, call.toHeader, decision?.number);
    if (steps.refused.length > 0) this.d.onRefused?.(facts, steps.refused, log);
    if (steps.items.length === 0) return undefined;
    const rc = new CallerRecorder({ ...this.d, log }, call.callId, facts);
    this.active.add(rc);
    const close = (): Promise<void> => rc.close('closed').finally(() => this.active.delete(rc));
    const ep = await rc.start().catch(async (err: unknown) => {
      await close();
      throw err;
    });
    return {
      host: ep.host,
      port: ep.port,
      run: async (codec) => {
        rc.setCodec(codec);
        for (const item of steps.items) {
          const r = await rc.record(item);
          log.info({ reason: r?.reason, durationSec: r?.durationSec }, 'record_caller step ended');
          if (rc.closed) break;
        }
      },
      close,
    };
  }

  /** Waits for the record_caller recordings in progress to be handed over (service shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.active].map((rc) => rc.close('closed')));
  }
}
