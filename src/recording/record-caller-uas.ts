import { randomInt } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { MatchKind, lookupCallflow, type CallflowMatch } from '../callflow/lookup';
import { ActionModule, dialledNumbers, walkFlow } from '../calls';
import type { RecorderConfig } from '../config/sections/recorder';
import type { Directory } from '../directory/types';
import { CallDirection, resolveRecordCaller } from '../policy';
import { RecordingSession, recordingSettingsFrom, sessionOptionsFrom, type EncoderPool, type RecordingResult } from '../recorder';
import { callerOf } from '../signalling/auth/invite-auth';
import { CallerKind, type Caller } from '../signalling/direction';
import { answerForRecorder, NoAcceptableCodecError } from './caller-answer';
import { addressOf, displayNameOf, type CallFacts } from './meta';
import type { RecordingItem } from './plan';

/**
 * `record_caller` as the last module of a callflow (voicemail greetings, IVR prompts): nobody is
 * called, so the recording part answers the INVITE itself with an SDP pointing the caller's RTP
 * at the recorder, records the caller alone (mono) and hangs up when the recording ends: `#`
 * (RFC 4733), time_limit, or the caller's BYE. Installed as an INVITE middleware after the
 * authentication middleware and before the B2BUA, it takes only the calls whose flow ends in
 * record_caller; every other call goes on to the B2BUA (next()). A record_caller followed by a
 * routing module is handled by the per-call CallRecorder instead (the callee's answer answers
 * the caller there).
 */

export interface RecordCallerDeps {
  srf: Srf;
  directory: Directory;
  pool: EncoderPool;
  recorder: Readonly<RecorderConfig>;
  logger: Logger;
  deliver(facts: CallFacts, item: RecordingItem, outcome: { result: RecordingResult } | { error: Error }): Promise<void>;
  onStarted?(item: RecordingItem): void;
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
    const decision = resolveRecordCaller(t.data, callId);
    if (decision.action === 'skip') {
      // Kazoo moves on to the next module; there is none, so the call ends.
      log.info('record_caller without a usable url: nothing to do');
      res.send(404);
      return;
    }
    const item: RecordingItem = {
      source: 'caller', origin: 'callflow : record_caller',
      direction: t.caller.kind === CallerKind.Device ? CallDirection.Outbound : CallDirection.Inbound,
      settings: decision.settings, callerOnly: true, terminators: decision.terminators,
    };
    const from = req.has('From') ? req.get('From') : '';
    const to = req.has('To') ? req.get('To') : '';
    const fromAddr = addressOf(from);
    const toAddr = addressOf(to);
    const name = displayNameOf(from);
    const facts: CallFacts = {
      accountId: t.accountId, callId,
      ...(fromAddr !== undefined ? { from: fromAddr, callerIdNumber: fromAddr.split('@')[0] } : {}),
      ...(toAddr !== undefined ? { to: toAddr, calleeIdNumber: toAddr.split('@')[0] } : {}),
      ...(name !== undefined ? { callerIdName: name } : {}),
    };
    const session = new RecordingSession({ ...sessionOptionsFrom(this.d.recorder, callId, this.d.pool, log), legs: ['caller'] });
    const [ep] = await session.start();
    let uas: Srf.Dialog | undefined;
    try {
      const answer = answerForRecorder(req.body, ep.host, ep.port, randomInt(1, 2 ** 31));
      session.setLegCodec('caller', { payloadType: answer.payloadType, encoding: answer.encoding, ...(answer.telephoneEventPt !== undefined ? { telephoneEventPt: answer.telephoneEventPt } : {}) });
      const rec = session.record(recordingSettingsFrom(item.settings, this.d.recorder, ['caller']));
      const delivered = rec.finished.then(
        (result) => this.d.deliver(facts, item, { result }),
        (err: Error) => this.d.deliver(facts, item, { error: err }),
      );
      uas = await this.d.srf.createUAS(req, res, { localSdp: answer.sdp });
      rec.begin();
      this.d.onStarted?.(item);
      log.info({ port: ep.port, codec: answer.encoding }, 'record_caller answered');
      const dialog = uas;
      let hungUp = false;
      dialog.on('destroy', () => {
        hungUp = true;
        void session.close('hangup');
      });
      session.on('dtmf', (leg, digit) => {
        if (leg === 'caller' && item.terminators.includes(digit)) void rec.stop('dtmf');
      });
      // Whatever ended the recording (#, time limit, hang-up), the call ends with it.
      await rec.finished.catch(() => undefined);
      if (!hungUp) dialog.destroy();
      await session.close('hangup');
      await delivered;
    } finally {
      await session.close('closed');
    }
  }

  /** Waits for the record_caller calls in progress (service shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.active]);
  }
}
