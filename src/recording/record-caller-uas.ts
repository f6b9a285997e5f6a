import { randomInt } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { MatchKind, lookupCallflow, type CallflowMatch } from '../callflow/lookup';
import { ActionModule, dialledNumbers, walkFlow } from '../calls';
import type { RecorderConfig } from '../config/sections/recorder';
import type { Directory } from '../directory/types';
import type { EncoderPool, RecordingResult } from '../recorder';
import { callerOf } from '../signalling/auth/invite-auth';
import { CallerKind, type Caller } from '../signalling/direction';
import { answerForRecorder, NoAcceptableCodecError } from './caller-answer';
import { CallerRecorder } from './caller-recorder';
import { factsFromHeaders, type CallFacts } from './meta';
import { recordCallerSteps, type RecordingItem, type RefusedRecording } from './plan';

/**
 * `record_caller` as the last module of a callflow (voicemail greetings, IVR prompts): nobody is
 * called, so the recording part answers the INVITE itself with an SDP pointing the caller's RTP
 * at the recorder, records the caller alone (mono) and hangs up when the recording ends: `#`
 * (RFC 4733), time_limit, or the caller's BYE. Installed as an INVITE middleware after the
 * authentication middleware and before the B2BUA, it takes only the calls whose flow ends in
 * record_caller; every other call goes on to the B2BUA (next()). A record_caller followed by a
 * routing module is answered the same way by the B2BUA's before-ringing step (answer-first.ts),
 * which then lets the callflow continue to that module.
 */

export interface RecordCallerDeps {
  srf: Srf;
  directory: Directory;
  pool: EncoderPool;
  recorder: Readonly<RecorderConfig>;
  logger: Logger;
  deliver(facts: CallFacts, item: RecordingItem, outcome: { result: RecordingResult } | { error: Error }): Promise<void>;
  onStarted?(item: RecordingItem): void;
  /** A record_caller without URL (refused at planning; the call gets 404). */
  onRefused?(facts: CallFacts, refused: readonly RefusedRecording[], log: Logger): void;
}

/** The callflow the router would pick (the caller's account; a trunk's DID in any account). */
async function findFlow(dir: Directory, caller: Caller, numbers: readonly string[]): Promise<CallflowMatch | undefined> {
  const candidates = caller.kind === CallerKind.Device ? numbers.slice(0, 1) : numbers;
  for (const n of candidates) {
    const own = await lookupCallflow(dir, caller.account.id, n);
    if (own) return own;
    if (caller.kind === CallerKind.Trunk) {
      const any = await dir.callflowByNumberAnyAccount(n);
      if (any) return { callflow: any, kind: MatchKind.Number };
    }
  }
  return undefined;
}

export class RecordCallerAnswering {
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly d: RecordCallerDeps) {}

  /** The INVITE middleware (srf.use('invite', ...)). */
  middleware(): (req: Srf.SrfRequest, res: Srf.SrfResponse, next: (err?: unknown) => void) => void {
    return (req, res, next) => {
      this.take(req).then((data) => {
        if (data === undefined) {
          next();
          return;
        }
        const p = this.run(req, res, data).catch((err: unknown) => {
          this.d.logger.error({ err, callId: req.get('Call-ID') }, 'record_caller failed');
          if (!res.finalResponseSent) res.send(err instanceof NoAcceptableCodecError ? err.sipStatus : 500);
        });
        this.active.add(p);
        void p.finally(() => this.active.delete(p));
      }, (err: unknown) => {
        this.d.logger.warn({ err }, 'record_caller look-up failed; passing the call on');
        next();
      });
    };
  }

  /** The record_caller data when this INVITE's flow ends in record_caller (no routing module after it). */
  private async take(req: Srf.SrfRequest): Promise<{ caller: Caller; accountId: string; data: Record<string, unknown> } | undefined> {
    const caller = callerOf(req);
    if (!caller) return undefined;
    const match = await findFlow(this.d.directory, caller, dialledNumbers(req.uri, req.has('To') ? req.get('To') : undefined));
    if (!match) return undefined;
    const step = walkFlow(match.callflow.flow);
    const last = step.actions[step.actions.length - 1];
    if (step.ok || last === undefined || last.module !== ActionModule.RecordCaller) return undefined;
    return { caller, accountId: match.callflow.account_id, data: last.data };
  }

  private async run(req: Srf.SrfRequest, res: Srf.SrfResponse, t: { caller: Caller; accountId: string; data: Record<string, unknown> }): Promise<void> {
    const callId = req.get('Call-ID');
    const log = this.d.logger.child({ callId, accountId: t.accountId, part: 'record_caller' });
    const facts = factsFromHeaders(t.accountId, callId, req.has('From') ? req.get('From') : '', req.has('To') ? req.get('To') : '');
    const steps = recordCallerSteps({ callId, caller: t.caller, actions: [{ module: 'record_caller', data: t.data }] });
    const item = steps.items[0];
    if (item === undefined) {
      // Kazoo moves on to the next module; there is none, so the call ends.
      this.d.onRefused?.(facts, steps.refused, log);
      res.send(404);
      return;
    }
    const rc = new CallerRecorder({ pool: this.d.pool, recorder: this.d.recorder, log, deliver: this.d.deliver, ...(this.d.onStarted ? { onStarted: this.d.onStarted } : {}) }, callId, facts);
    try {
      const ep = await rc.start();
      const answer = answerForRecorder(req.body, ep.host, ep.port, randomInt(1, 2 ** 31));
      rc.setCodec(answer);
      const dialog = await this.d.srf.createUAS(req, res, { localSdp: answer.sdp });
      log.info({ port: ep.port, codec: answer.encoding }, 'record_caller answered');
      let hungUp = false;
      dialog.on('destroy', () => {
        hungUp = true;
        void rc.close('hangup');
      });
      // Whatever ended the recording (#, time limit, hang-up), the call ends with it.
      await rc.record(item);
      if (!hungUp) dialog.destroy();
    } finally {
      await rc.close('closed');
    }
  }

  /** Waits for the record_caller calls in progress (service shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.active]);
  }
}
