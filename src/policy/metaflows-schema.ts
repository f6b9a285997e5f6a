import { Type, type Static } from '@sinclair/typebox';
import { RecordCallAction } from './settings-schema';

/**
 * Metaflows (Kazoo's konami): actions run on a call in progress, from the channels API
 * (metaflows.record_call.json) or from keys the parties press (the account's `metaflows`,
 * Kazoo's metaflows.json: binding_digit, digit_timeout, listen_on, numbers, patterns).
 */

/** Metaflow modules this product runs. */
export const METAFLOW_MODULES = ['record_call', 'hangup'] as const;

/** konami's record_call actions (start, stop, toggle, mask, unmask) plus pause / resume / pause_toggle. */
export const METAFLOW_RECORD_ACTIONS = ['start', 'stop', 'toggle', 'pause', 'resume', 'pause_toggle', 'mask', 'unmask'] as const;

/** metaflows.record_call.json: the record_call action schema with the metaflow's actions. */
export const MetaflowRecordCall = Type.Object(
  {
    ...RecordCallAction.properties,
    action: Type.Optional(Type.Union(METAFLOW_RECORD_ACTIONS.map((a) => Type.Literal(a)), {
      description: 'start / stop / toggle the recording; pause / resume / pause_toggle every recording of the call (mask / unmask: Kazoo\'s names for pause / resume)',
    })),
  },
  { additionalProperties: true },
);

/** One metaflow node of a feature code: a module and its data (one action per code). */
export const FeatureCodeNode = Type.Object(
  {
    module: Type.Union(METAFLOW_MODULES.map((m) => Type.Literal(m)), { description: 'The metaflow module to run' }),
    data: Type.Optional(MetaflowRecordCall),
  },
  { additionalProperties: false },
);
export type FeatureCodeNode = Static<typeof FeatureCodeNode>;

/** Digits a party may press (RFC 4733 events 0-15). */
const DIGIT = '[0-9*#A-D]';

/**
 * The account's `metaflows` (Kazoo's metaflows.json): after the binding digit, the keys pressed
 * within digit_timeout ms of each other are matched against `numbers` (exact) and then
 * `patterns` (regular expressions), e.g. `*1` -> numbers["1"].
 */
export const MetaflowsConfig = Type.Object(
  {
    binding_digit: Type.Optional(Type.String({ pattern: `^${DIGIT}$`, default: '*', description: 'What starts a feature code' })),
    digit_timeout: Type.Optional(Type.Integer({ minimum: 100, maximum: 10000, default: 3000, description: 'ms to wait for the next digit' })),
    listen_on: Type.Optional(Type.Union([Type.Literal('both'), Type.Literal('self'), Type.Literal('peer')], {
      default: 'both', description: 'Whose keys count: both parties, the caller (self) or the callee (peer)',
    })),
    numbers: Type.Optional(Type.Record(Type.String({ pattern: `^${DIGIT}{1,8}$` }), FeatureCodeNode, { additionalProperties: false })),
    patterns: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), FeatureCodeNode)),
  },
  { additionalProperties: false },
);
export type MetaflowsConfig = Static<typeof MetaflowsConfig>;
