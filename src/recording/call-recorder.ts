import type { Logger } from 'pino';
import type { Call } from '../calls';
import type { ForkSubscription } from '../media';
import { forkInto, verdictFor } from './fork-setup';
import { CallDirection, RecordingStart } from '../policy';
import {
  RecordingState, recordingSettingsFrom, sessionOptionsFrom,
  type LegEndpoint, type RecorderSession, type RecordingHandle, type StopReason,
} from '../recorder';
import { factsFromHeaders, type CallFacts } from './meta';
import { pauseModeOf, planCall, planRecordings, RefusalReason, type PlanInput, type RecordingItem } from './plan';
import { describeStep, midcallSteps, type MidcallAction, type MidcallStep } from './midcall';
import { PartyChanges } from './party-change';
import {
  CALL_RECORDER_MOVES, CallRecorderState, CallRecorderStateError, stopReasonOf,
  type CallRecorderDeps, type RecordingView,
} from './call-recorder-contract';
import { CalleeKind } from '../signalling/direction';
import { HangupBy, HangupCause } from '../calls';
import { FeatureCodeListener, featureCodesOf, runFeatureCode } from './feature-codes';
import { MediaWitness, type MediaBase } from './media-check';
import { RecordingNotice } from './notice';

export { CALL_RECORDER_MOVES, CallRecorderState, CallRecorderStateError, stopReasonOf, type CallRecorderDeps, type RecordingView };

/**
 * The recording controller of one call. On routing it asks the policy (and the callflow's
 * record actions) what to record; if anything, it opens ONE RecordingSession for the call and,
 * once rtpengine has both legs, ONE fork (subscribe request) feeding it. Every recording of the
 * call is a Recording of that session with its own settings, begun at once, on answer or on
 * bridge. Stop actions, the time limit (data-driven in the recorder),
 * hang-up and rtpengine failure all end in the recorder's single finalize step; each finished
 * recording is handed to `deliver`.
 */

interface Entry {
  item: RecordingItem;
  rec: RecordingHandle;
  /** Counters when it began after the fork started (else the fork's own base is used). */
  base?: MediaBase;
}

function isLive(e: Entry): boolean {
  return e.rec.state === RecordingState.Pending || e.rec.state === RecordingState.Recording;
}

export class CallRecorder {
  private stateValue = CallRecorderState.Waiting;
  private session: RecorderSession | undefined;
  private endpoints: LegEndpoint[] = [];
  private fork: ForkSubscription | undefined;
  private readonly entries: Entry[] = [];
  private readonly deliveries: Promise<void>[] = [];
  private ready: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly log: Logger;
  private planInput: PlanInput | undefined;
  private answered = false;
  /** The callee's early media reaches rtpengine (before the answer). */
  private early = false;
  private bridged = false;
  private forking: Promise<void> | undefined;
  /** Compares what reached the session with what rtpengine received (never `completed` without media). */
  private witness: MediaWitness | undefined;
  /** record_call pause / resume: every recording of the call is paused (PCI), and begins paused. */
  private paused = false;
  /** The account's feature codes, fed with the digits of the fork (RFC 4733). */
  private keys: FeatureCodeListener | undefined;
  private readonly notice: RecordingNotice;
  /** Reroutes and transfers (party-change.ts). */
  private readonly parties: PartyChanges<Entry>;

  constructor(private readonly call: Call, private readonly d: CallRecorderDeps) {
    this.log = call.log.child({ part: 'recording' });
    this.notice = new RecordingNotice(d.recorder.spoolDir, this.log);
    this.parties = new PartyChanges<Entry>({
      call, log: this.log,
      input: () => this.planInput,
      replan: (p) => { this.planInput = p; },
      paused: () => this.paused,
      isOpen: () => this.isOpenForActions(),
      live: () => this.live(),
      forget: (e) => this.entries.splice(this.entries.indexOf(e), 1),
      startItems: (items) => this.startItems(items),
      applySteps: (steps) => this.applySteps(steps),
    });
    call.once('routed', () => {
      this.ready = this.setup().catch((err: unknown) => {
        this.log.error({ err }, 'recording set-up failed');
        void this.close('failed');
      });
    });
    // Early media (183 with SDP) flows before the answer: a recording running from the start
    // holds it, as Kazoo's does (it records the A leg); the fork starts now only for those.
    call.once('earlyMedia', () => {
      this.early = true;
      void this.ready.then(() => this.ensureFork());
    });
    call.once('answered', () => {
      this.answered = true;
      void this.onAnswered();
    });
    call.once('bridged', () => {
      this.bridged = true;
      void this.ready.then(() => this.beginWhere(RecordingStart.Bridge));
    });
    // The callflow went on after a failed routing module: its record nodes act on this call.
    call.on('rerouted', () => void this.serial(() => this.parties.onRerouted()));
    // A blind transfer replaced the callee: its policy applies as for a forwarded call (with the
    // transfer route's record nodes); other transfers swap the endpoint recordings only.
    call.on('transferred', (_c, side, who) => void this.serial(() => this.parties.onTransferred(side, who)));
    // Keys pressed as SIP INFO feed the feature codes as the fork's RFC 4733 digits do.
    call.on('dtmf', (_c, side, digit) => this.keys?.press(side, digit));
    // Ends the recordings at hang-up time; finalizing and delivery go on without holding the BYEs.
    call.onClose(() => {
      void this.close(stopReasonOf(call.end));
    });
  }

  get state(): CallRecorderState {
    return this.stateValue;
  }

  /** The recordings planned for this call (after routing). */
  get items(): readonly RecordingItem[] {
    return this.entries.map((e) => e.item);
  }

  private moveTo(next: CallRecorderState): void {
    if (!CALL_RECORDER_MOVES[this.stateValue].includes(next)) throw new CallRecorderStateError(this.stateValue, next);
    this.log.debug({ from: this.stateValue, to: next }, 'recorder state');
    this.stateValue = next;
  }

  private facts(): CallFacts {
    const c = this.call;
    return factsFromHeaders(c.accountId, c.callId, c.fromHeader, c.toHeader, c.decision?.number);
  }

  private async setup(): Promise<void> {
    const call = this.call;
    const decision = call.decision;
    if (!decision || this.stateValue !== CallRecorderState.Waiting) return;
    // Nobody is rung (the flow ends in record_caller): no bridged call to record.
    if (!decision.callee) {
      this.moveTo(CallRecorderState.Idle);
      return;
    }
    const account = decision.accountId === call.caller.account.id ? call.caller.account : await this.d.accountById(decision.accountId);
    if (!account) throw new Error(`account ${decision.accountId} not found`);
    this.planInput = {
      callId: call.callId, caller: call.caller, callee: decision.callee, account, actions: decision.actions,
      // CallflowInfo carries no name (the directory maps only routing fields); the label falls back to the id.
      ...(decision.callflow ? { callflowId: decision.callflow.id } : {}),
      ...(this.d.defaults ? { defaults: this.d.defaults } : {}),
    };
    const { items, refused, paused } = planCall(this.planInput);
    this.paused = paused === true;
    if (refused.length > 0) this.d.onRefused?.(this.facts(), refused, this.log);
    if ((this.stateValue as CallRecorderState) !== CallRecorderState.Waiting) return;
    const codes = featureCodesOf(account.metaflows, (msg) => this.log.warn(msg));
    if (codes) {
      this.keys = new FeatureCodeListener(codes, (m) => runFeatureCode(m, {
        apply: (actions, at) => this.apply(actions, at),
        hangup: (by) => void this.call.close({ cause: HangupCause.NormalClearing, by: by === 'caller' ? HangupBy.Caller : HangupBy.Callee }),
      }, this.log));
    }
    // Feature codes need the fork's digits: with codes, the session and fork run even when nothing records yet.
    if (items.length === 0 && !codes) {
      this.moveTo(CallRecorderState.Idle);
      return;
    }
    await this.open(items);
  }

  /** Opens the call's one session and creates a Recording per item; begins the `now` ones. */
  private async open(items: readonly RecordingItem[]): Promise<void> {
    this.log.info({ recordings: items.map((i) => ({ origin: i.origin, start: i.settings.start })) }, 'recordings planned');
    this.moveTo(CallRecorderState.Starting);
    const session = this.d.host.session(sessionOptionsFrom(this.d.recorder, this.call.callId, this.log));
    this.session = session;
    this.witness = new MediaWitness(() => this.call.media, session);
    try {
      this.endpoints = await session.start();
    } catch (err) {
      // No free port, no recorder thread: the planned recordings never start. Said as refused
      // (counted, logged per recording), not only as a set-up error line.
      this.d.onRefused?.(this.facts(), items.map((i) => ({ source: i.source, origin: i.origin, direction: i.direction, reason: RefusalReason.RecorderUnavailable })), this.log);
      throw err;
    }
    if ((this.stateValue as CallRecorderState) !== CallRecorderState.Starting) {
      await session.close('closed');
      return;
    }
    this.add(items);
    session.on('dtmf', (leg, digit, agoMs) => this.keys?.press(leg, digit, agoMs));
    this.moveTo(CallRecorderState.Recording);
    this.beginWhere(RecordingStart.Now);
  }

  private add(items: readonly RecordingItem[]): void {
    const session = this.session;
    if (!session) return;
    const facts = this.facts();
    const pauseMode = this.planInput ? pauseModeOf(this.planInput.account) : 'silence';
    for (const item of items) {
      const rec = session.record({ ...recordingSettingsFrom(item.settings, this.d.recorder), pauseMode });
      const entry: Entry = { item, rec };
      this.entries.push(entry);
      this.deliveries.push(rec.finished.then(
        async (result) => this.d.deliver({ ...facts, parties: this.call.parties.until(result.endedAt) }, item, { result, media: await verdictFor(this.witness, entry.base, item.origin, result, this.log) }),
        (err: Error) => this.d.deliver(facts, item, { error: err }),
      ));
    }
  }

  /**
   * A `user` callee was planned with the user's settings; now that one of its devices answered,
   * the callee's inbound endpoint recordings are re-planned with that device (Device > User).
   * They all start on answer, so nothing of them has been recorded yet.
   */
  private async refineCallee(): Promise<void> {
    const input = this.planInput;
    const target = this.call.answeredTarget;
    if (!input || input.callee.kind !== CalleeKind.User || target?.deviceId === undefined || !this.d.deviceById) return;
    const device = await this.d.deviceById(target.deviceId);
    if (!device) return;
    const isCalleeEndpoint = (i: RecordingItem): boolean => i.source === 'endpoint' && i.direction === CallDirection.Inbound;
    const fresh = planRecordings({ ...input, callee: { kind: CalleeKind.Device, device, owner: input.callee.user } }).filter(isCalleeEndpoint);
    const stale = this.entries.filter((e) => isCalleeEndpoint(e.item) && e.rec.state === RecordingState.Pending);
    for (const e of stale) {
      this.entries.splice(this.entries.indexOf(e), 1);
      void e.rec.stop('replaced');
    }
    if (fresh.length === 0) return;
    if (this.stateValue === CallRecorderState.Idle) await this.open(fresh);
    else if (this.stateValue === CallRecorderState.Recording) this.add(fresh);
  }

  /** Runs `fn` after everything queued before it (set-up, earlier actions); `ready` never rejects. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.ready.then(fn);
    this.ready = run.then(() => undefined, (err: unknown) => this.log.error({ err }, 'recording action failed'));
    return run;
  }

  private live(): Entry[] {
    return this.entries.filter(isLive);
  }

  private isOpenForActions(): boolean {
    const st = this.stateValue;
    return st === CallRecorderState.Idle || st === CallRecorderState.Recording;
  }

  private liveSources(): Set<RecordingItem['source']> {
    return new Set(this.live().map((e) => e.item.source));
  }

  /** Adds recordings to the running call: opens the session if there was none, begins what is due. */
  private async startItems(items: readonly RecordingItem[]): Promise<void> {
    if (this.stateValue === CallRecorderState.Idle) await this.open(items);
    else if (this.stateValue === CallRecorderState.Recording) this.add(items);
    else return;
    this.beginDue();
    void this.ensureFork();
  }

  private async applySteps(steps: readonly MidcallStep[], at?: number): Promise<void> {
    for (const step of steps) {
      if (step.kind === 'stop') this.stopCallflowRecordings();
      else if (step.kind === 'start') await this.startItems(step.items);
      else if (step.kind === 'pause' || step.kind === 'resume') this.setPaused(step.kind === 'pause', at);
    }
  }

  /**
   * Pauses or resumes every recording that runs; those begun later follow `paused`. The edge is
   * at `at` (performance.now() ms, a key's arrival) when given: the action waited in the queue.
   */
  private setPaused(paused: boolean, at?: number): void {
    this.paused = paused;
    const agoMs = at === undefined ? 0 : Math.max(0, performance.now() - at);
    for (const e of this.entries) {
      if (e.rec.state !== RecordingState.Recording || e.rec.paused === paused) continue;
      if (paused) e.rec.pause(agoMs);
      else e.rec.resume(agoMs);
    }
    this.log.info({ paused }, paused ? 'recordings paused' : 'recordings resumed');
  }

  /**
   * Applies record_call actions to the call now (the API's metaflow): `stop` ends the callflow
   * recording (one finalize step, delivered as usual), `start` begins one unless one runs,
   * `pause` / `resume` act on every recording of the call. When one action is refused (pause
   * twice, resume without pause) none is applied: the steps are returned with the refusal.
   * Queued behind set-up and earlier actions. Undefined when the call's recordings are over.
   * `at` (performance.now() ms): where a pause or resume takes effect (a feature code's key).
   */
  apply(actions: readonly MidcallAction[], at?: number): Promise<MidcallStep[] | undefined> {
    return this.serial(async () => {
      if (!this.planInput || !this.isOpenForActions()) return undefined;
      const input = this.planInput;
      const steps = midcallSteps(actions, this.liveSources(), (a) => planRecordings({ ...input, actions: [a] }), this.paused);
      this.log.info({ steps: steps.map(describeStep) }, 'record actions on the running call');
      if (steps.some((s) => s.kind === 'refuse')) return steps;
      await this.applySteps(steps, at);
      return steps;
    });
  }

  /** The call's recordings (channels API). */
  views(): RecordingView[] {
    return this.entries.map((e) => ({
      source: e.item.source, origin: e.item.origin, ...(e.item.label !== undefined ? { label: e.item.label } : {}),
      format: e.item.settings.format, state: e.rec.state, paused: e.rec.paused,
    }));
  }

  /** Begins every pending recording whose moment has come (now, answer, bridge). */
  private beginDue(): void {
    this.beginWhere(RecordingStart.Now);
    if (this.answered) this.beginWhere(RecordingStart.Answer);
    if (this.bridged) this.beginWhere(RecordingStart.Bridge);
  }

  private beginWhere(start: RecordingStart): void {
    if (this.stateValue !== CallRecorderState.Recording) return;
    for (const e of this.entries) {
      if (e.item.settings.start !== start || e.rec.state !== RecordingState.Pending) continue;
      e.rec.begin();
      if (this.paused) e.rec.pause();
      e.base = this.witness?.baseForBegin();
      this.d.onStarted?.(e.item);
      this.notice.want(e.item.settings.announce);
    }
    // The notice needs both parties anchored (answered) and, to be recorded, the fork.
    if (this.answered) void this.ensureFork().then(() => this.notice.play(this.call.media, this.fork, this.endpoints));
  }

  private async onAnswered(): Promise<void> {
    await this.ready;
    try {
      await this.refineCallee();
    } catch (err) {
      this.log.warn({ err }, 'answering device look-up failed; the user\'s settings stay');
    }
    if (this.stateValue !== CallRecorderState.Recording) return;
    // Begin first: the answer is the moment the window opens; the fork follows within ms.
    this.beginWhere(RecordingStart.Answer);
    await this.ensureFork();
  }

  /**
   * ONE fork per call, once a session exists and the callee answered, or sends early media
   * while a recording runs (idempotent). Recordings begun on answer or bridge never hold early
   * media: their window opens at that moment, whatever the fork delivered before.
   */
  private ensureFork(): Promise<void> {
    if (this.stateValue !== CallRecorderState.Recording) return Promise.resolve();
    const running = this.entries.some((e) => e.rec.state === RecordingState.Recording);
    if (!this.answered && !(this.early && running)) return Promise.resolve();
    this.forking ??= this.forkMedia();
    return this.forking;
  }

  private async forkMedia(): Promise<void> {
    const media = this.call.media;
    const session = this.session;
    if (!media || !session) return;
    this.fork = await forkInto(media, session, this.endpoints, this.witness, this.log);
    if (!this.fork) await this.close('media_failed');
  }

  /** Stops the callflow's record_call recordings (a record_call `stop` action). */
  stopCallflowRecordings(): void {
    for (const e of this.entries) if (e.item.source === 'callflow' && isLive(e)) void e.rec.stop('stop');
  }

  /**
   * Ends everything once: every recording is finalized (at its stop point or now), the fork is
   * unsubscribed, the session's sockets closed, deliveries handed over. Idempotent; never rejects.
   */
  close(reason: StopReason = 'closed'): Promise<void> {
    this.closing ??= (async () => {
      this.moveTo(CallRecorderState.Closing);
      this.keys?.close();
      // Set-up may be opening sockets still; it sees Closing and stops, then we finish here.
      await this.ready;
      const session = this.session;
      if (session) {
        await session.close(reason).catch((err: unknown) => this.log.error({ err }, 'recording session close failed'));
        this.d.onSessionClosed?.(await session.stats());
      }
      await this.fork?.close().catch(() => undefined);
      await Promise.allSettled(this.deliveries);
      this.moveTo(CallRecorderState.Closed);
    })();
    return this.closing;
  }
}
