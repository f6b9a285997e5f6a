import type { Static, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';

/** One failed rule, addressed by JSON pointer (e.g. "/inbound/offnet/time_limit"). */
export interface SchemaProblem {
  path: string;
  /** The JSON-schema keyword that failed (type, enum, minimum, maximum, format, additionalProperties...). */
  rule: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: SchemaProblem[] };

/**
 * Checks `input` against one of the policy schemas. Defaults declared in the schema are applied
 * first (on a clone: the caller's object is never touched), so e.g. record_call without
 * `action` validates as action "start", as Kazoo's schema default says.
 */
export function validateWith<S extends TSchema>(schema: S, input: unknown): ValidationResult<Static<S>> {
  const value: unknown = Value.Default(schema, Value.Clone(input));
  const problems = [...Value.Errors(schema, value)].map((e) => ({
    path: e.path === '' ? '/' : e.path,
    rule: ruleOf(e.type),
    message: e.type === ValueErrorType.Union ? enumMessage(e.schema) ?? e.message : e.message,
  }));
  return problems.length === 0 ? { ok: true, value: value as Static<S> } : { ok: false, problems: dedupe(problems) };
}

/** JSON-schema keyword names for TypeBox's error kinds, so API errors can be shaped as Crossbar's `{field: {rule: {message}}}`. */
function ruleOf(kind: ValueErrorType): string {
  switch (kind) {
    case ValueErrorType.Union:
      return 'enum';
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return 'minimum';
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return 'maximum';
    case ValueErrorType.StringFormat:
    case ValueErrorType.StringFormatUnknown:
      return 'format';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'additionalProperties';
    case ValueErrorType.ObjectRequiredProperty:
      return 'required';
    default:
      return 'type';
  }
}

/** Unions of literals are enums: name the allowed values instead of "Expected union value". */
function enumMessage(schema: TSchema): string | undefined {
  const members = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (members === undefined || members.some((m) => m.const === undefined)) return undefined;
  return `Value not found in enumerated list of values: ${members.map((m) => String(m.const)).join(', ')}`;
}

/** Union members each report; keep one problem per path and rule. */
function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path} ${p.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
