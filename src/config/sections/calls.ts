import { Type, type Static } from '@sinclair/typebox';

/** The B2BUA: call routing, ringing and failover timers, call records. */
export const CallsSection = Type.Object({
  /** Seconds a call may ring (all forks of a stage together) before it is given up with 480. */
  noAnswerTimeoutSec: Type.Integer({ minimum: 1, maximum: 600, default: 60 }),
  /**
   * Seconds one trunk (gateway) may take to answer finally before the next one is tried. RFC 3261
   * Timer B (64*T1 = 32 s) would be far too slow for failover; carriers answer 100/183 quickly.
   */
  trunkAttemptTimeoutSec: Type.Integer({ minimum: 1, maximum: 300, default: 30 }),
  /**
   * Calls up at once on this node beyond which new INVITEs get 503 with Retry-After (the edge
   * proxy tries another node); 0 = no limit. Set it from bench:recordings' passing step.
   */
  maxCalls: Type.Integer({ minimum: 0, maximum: 1000000, default: 0 }),
  /** Keep a call record document (collection `calls`) per call in the store. */
  records: Type.Boolean({ default: true }),
  /** Caller-ID number sent to trunks when the caller has none of its own (empty: keep From). */
  defaultCallerIdNumber: Type.String({ default: '' }),
}, { default: {} });

export type CallsConfig = Static<typeof CallsSection>;
