import type { FeatureCodeNode, MetaflowsConfig } from '../policy/metaflows-schema';
import type { Logger } from 'pino';
import { describeStep, type MidcallAction, type MidcallStep } from './midcall';

/**
 * In-call feature codes, as Kazoo's konami reads them (konami_code_fsm): a party presses the
 * binding digit (`*`), then digits each within digit_timeout ms of the last; the collected
 * digits are matched against the account's `numbers`, then its `patterns`. The digits are the
 * RFC 4733 telephone-events of the forked RTP the recorder already receives (RFC 4733 2.5.1.4:
 * one event per key press, reported once at its end). Pure: time is an input, the caller runs
 * the timer this returns.
 */

export interface FeatureCodeMatch {
  leg: string;
  digits: string;
  actions: MidcallAction[];
  /**
   * When it matched (ms, the caller's clock): the last key's arrival, or the digit timer's end.
   * A pause or resume takes effect there, not when the action is applied.
   */
  at: number;
}

/** What a digit did: a code matched now, or the collector waits `waitMs` for more (then call timeout()). */
export type DigitOutcome = { match: FeatureCodeMatch } | { waitMs: number } | { ignored: true };

interface Collecting {
  digits: string;
  lastAt: number;
}

const DEFAULT_TIMEOUT_MS = 3000;
const TIMER_SLACK_MS = 20;

function actionsOf(node: FeatureCodeNode): MidcallAction[] {
  return [{ module: node.module, data: { ...(node.data ?? {}) } }];
}

export class FeatureCodes {
  private readonly collecting = new Map<string, Collecting>();
  private readonly binding: string;
  private readonly timeoutMs: number;
  private readonly patterns: { re: RegExp; node: FeatureCodeNode }[] = [];

  constructor(private readonly cfg: MetaflowsConfig, private readonly warn: (msg: string) => void = () => undefined) {
    this.binding = cfg.binding_digit ?? '*';
    this.timeoutMs = cfg.digit_timeout ?? DEFAULT_TIMEOUT_MS;
    for (const [src, node] of Object.entries(cfg.patterns ?? {})) {
      try {
        this.patterns.push({ re: new RegExp(src), node });
      } catch {
        this.warn(`metaflows pattern ${src} is not a regular expression; ignored`);
      }
    }
  }

  /** Whether the account has any code at all (else nothing need be listened to). */
  get any(): boolean {
    return Object.keys(this.cfg.numbers ?? {}).length > 0 || this.patterns.length > 0;
  }

  /** Kazoo's listen_on: both parties, the caller (self) or the callee (peer). */
  private listensTo(leg: string): boolean {
    const on = this.cfg.listen_on ?? 'both';
    return on === 'both' || (on === 'self' ? leg === 'caller' : leg === 'callee');
  }

  /** One key press of `leg` at `now` (ms). */
  digit(leg: string, digit: string, now: number): DigitOutcome {
    if (!this.listensTo(leg)) return { ignored: true };
    const c = this.collecting.get(leg);
    // The binding digit (re)starts a code: `*9*1` is `*1` once 9 matched nothing.
    if (c === undefined || now - c.lastAt > this.timeoutMs || digit === this.binding) {
      this.collecting.delete(leg);
      if (digit !== this.binding) return { ignored: true };
      this.collecting.set(leg, { digits: '', lastAt: now });
      return { waitMs: this.timeoutMs };
    }
    c.digits += digit;
    c.lastAt = now;
    const numbers = this.cfg.numbers ?? {};
    const exact = numbers[c.digits];
    // A number no longer number starts with cannot grow into another code: run it at once.
    const longer = Object.keys(numbers).some((n) => n.length > c.digits.length && n.startsWith(c.digits));
    if (exact !== undefined && !longer && this.patterns.length === 0) {
      this.collecting.delete(leg);
      return { match: { leg, digits: c.digits, actions: actionsOf(exact), at: now } };
    }
    return { waitMs: this.timeoutMs };
  }

  /** The timer of `leg` ran out at `now`: the digits so far against numbers, then patterns. */
  timeout(leg: string, now: number): FeatureCodeMatch | undefined {
    const c = this.collecting.get(leg);
    // Timers may fire a few ms early; a digit since then moved lastAt by far more.
    if (c === undefined || now - c.lastAt < this.timeoutMs - TIMER_SLACK_MS) return undefined;
    this.collecting.delete(leg);
    const exact = this.cfg.numbers?.[c.digits];
    if (exact !== undefined) return { leg, digits: c.digits, actions: actionsOf(exact), at: now };
    const p = this.patterns.find((x) => x.re.test(c.digits));
    return p ? { leg, digits: c.digits, actions: actionsOf(p.node), at: now } : undefined;
  }
}

/**
 * The account's feature codes on one call: feeds key presses to FeatureCodes, runs its timers,
 * hands each match to `run`. close() drops pending timers (the call ended).
 */
export class FeatureCodeListener {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly codes: FeatureCodes, private readonly run: (m: FeatureCodeMatch) => void, private readonly now: () => number = () => performance.now()) {}

  /** `agoMs`: how long before now the key arrived (the recorder reads keys at its next tick). */
  press(leg: string, digit: string, agoMs = 0): void {
    const out = this.codes.digit(leg, digit, this.now() - Math.max(0, agoMs));
    clearTimeout(this.timers.get(leg));
    this.timers.delete(leg);
    if ('match' in out) this.run(out.match);
    else if ('waitMs' in out) {
      this.timers.set(leg, setTimeout(() => {
        this.timers.delete(leg);
        const m = this.codes.timeout(leg, this.now());
        if (m) this.run(m);
      }, Math.max(0, out.waitMs - Math.max(0, agoMs))));
    }
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/** The account's metaflows as feature codes, or undefined when it has none. */
export function featureCodesOf(metaflows: unknown, warn?: (msg: string) => void): FeatureCodes | undefined {
  if (typeof metaflows !== 'object' || metaflows === null) return undefined;
  const codes = new FeatureCodes(metaflows as MetaflowsConfig, warn);
  return codes.any ? codes : undefined;
}

/** What a matched code acts on: the call's recordings (as the API's metaflow) and its hang-up. */
export interface FeatureCodePorts {
  /** `at`: the match's moment (FeatureCodeMatch.at), where a pause or resume takes effect. */
  apply(actions: readonly MidcallAction[], at: number): Promise<MidcallStep[] | undefined>;
  hangup(by: string): void;
}

/**
 * Runs a matched code: `hangup` ends the call as hung up by the party that pressed it;
 * record_call actions apply as the channels metaflow, a refusal (pause twice...) only logged.
 */
export function runFeatureCode(m: FeatureCodeMatch, ports: FeatureCodePorts, log: Logger): void {
  log.info({ leg: m.leg, digits: m.digits, modules: m.actions.map((a) => a.module) }, 'feature code');
  if (m.actions.some((a) => a.module === 'hangup')) {
    ports.hangup(m.leg);
    return;
  }
  void ports.apply(m.actions, m.at).then((steps) => {
    const refused = steps?.filter((s) => s.kind === 'refuse');
    if (refused && refused.length > 0) log.info({ digits: m.digits, steps: refused.map(describeStep) }, 'feature code refused');
  });
}
