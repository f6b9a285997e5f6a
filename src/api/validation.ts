import { isIP } from 'node:net';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { isHttpUrl } from '../policy/settings-schema';
import type { JsonObject, JsonValue } from '../store';

/**
 * Crossbar's validation error map: dotted field path -> rule name -> details. The rule names and
 * messages are the ones Kazoo's kz_json_schema emits (type, enum, minimum, maximum, minLength,
 * maxLength, required, pattern, additionalProperties...), so clients written for Kazoo read them.
 */
export type FieldErrors = Record<string, Record<string, { message: string; target?: JsonValue; cause?: JsonValue }>>;

export function addFieldError(errors: FieldErrors, path: string, rule: string, detail: { message: string; target?: JsonValue; cause?: JsonValue }): void {
  (errors[path] ??= {})[rule] = detail;
}

/**
 * One ajv instance for the API: every error (not just the first), defaults from the schemas
 * written into the document (Kazoo stores schema defaults too), and `verbose` so that an anyOf
 * of constants (how TypeBox spells an enum) can be reported as Kazoo's `enum`.
 */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false });
  // Kazoo's url_validation: http(s) with a host. Shared with the policy part's TypeBox registry.
  ajv.addFormat('uri', isHttpUrl);
  ajv.addFormat('ip-address', (s: string) => isIP(s) !== 0);
  // Kazoo checks email loosely; so do we (one @, something on each side, no spaces).
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
  return ajv;
}

export interface Validator {
  /** Validates `doc` in place (defaults are written into it); returns the field errors, or null. */
  (doc: JsonObject): FieldErrors | null;
}

export function compileValidator(ajv: Ajv, schema: TSchema): Validator {
  const fn: ValidateFunction = ajv.compile(schema);
  return (doc) => (fn(doc) ? null : toFieldErrors(fn.errors ?? []));
}

/** Joins a JSON pointer into Kazoo's dotted key (`/gateways/0/server` -> `gateways.0.server`). */
export function pointerToPath(pointer: string, extra?: string): string {
  const segs = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segs.push(extra);
  return segs.join('.');
}

function isConstBranch(s: unknown): s is { const: JsonValue } {
  return typeof s === 'object' && s !== null && 'const' in s;
}

function typeNames(branches: unknown[]): string {
  const names = branches.map((b) => (typeof b === 'object' && b !== null && 'type' in b ? String((b as { type: unknown }).type) : 'schema'));
  return [...new Set(names)].join(',');
}

/** Pure mapping from ajv's errors to Crossbar's field error map. */
export function toFieldErrors(errs: readonly ErrorObject[]): FieldErrors {
  const out: FieldErrors = {};
  // Errors produced inside a failed anyOf are the branches' reasons; the anyOf itself is the
  // error to report (as `enum` when every branch is a constant).
  const anyOfPaths = errs.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  for (const e of errs) {
    if (anyOfPaths.some((p) => e.schemaPath.startsWith(p))) continue;
    const path = pointerToPath(e.instancePath);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        addFieldError(out, pointerToPath(e.instancePath, String(p['missingProperty'])), 'required', {
          message: 'Field is required but missing',
        });
        break;
      case 'additionalProperties':
        addFieldError(out, pointerToPath(e.instancePath, String(p['additionalProperty'])), 'additionalProperties', {
          message: 'Strict checking of data is enabled; only include schema-defined properties',
        });
        break;
      case 'type': {
        const types = Array.isArray(p['type']) ? (p['type'] as string[]).join(',') : String(p['type']);
        addFieldError(out, path, 'type', { message: `Value did not match type(s): ${types}`, target: types });
        break;
      }
      case 'enum':
        addFieldError(out, path, 'enum', {
          message: 'Value not found in enumerated list of values',
          target: (p['allowedValues'] as JsonValue[]) ?? [],
        });
        break;
      case 'const':
        addFieldError(out, path, 'enum', {
          message: 'Value not found in enumerated list of values',
          target: [p['allowedValue'] as JsonValue],
        });
        break;
      case 'anyOf': {
        const branches = Array.isArray(e.schema) ? (e.schema as unknown[]) : [];
        if (branches.length > 0 && branches.every(isConstBranch)) {
          addFieldError(out, path, 'enum', {
            message: 'Value not found in enumerated list of values',
            target: branches.map((b) => b.const),
          });
        } else {
          const types = typeNames(branches);
          addFieldError(out, path, 'type', { message: `Value did not match type(s): ${types}`, target: types });
        }
        break;
      }
      case 'minimum':
      case 'exclusiveMinimum':
        addFieldError(out, path, 'minimum', { message: `Value must be at least ${String(p['limit'])}`, target: p['limit'] as number });
        break;
      case 'maximum':
      case 'exclusiveMaximum':
        addFieldError(out, path, 'maximum', { message: `Value must be at most ${String(p['limit'])}`, target: p['limit'] as number });
        break;
      case 'minLength':
        addFieldError(out, path, 'minLength', {
          message: `String must be at least ${String(p['limit'])} characters`,
          target: p['limit'] as number,
          cause: e.data as JsonValue,
        });
        break;
      case 'maxLength':
        addFieldError(out, path, 'maxLength', {
          message: `String must not be more than ${String(p['limit'])} characters`,
          target: p['limit'] as number,
          cause: e.data as JsonValue,
        });
        break;
      case 'minItems':
        addFieldError(out, path, 'minItems', { message: `The list must have at least ${String(p['limit'])} items`, target: p['limit'] as number });
        break;
      case 'maxItems':
        addFieldError(out, path, 'maxItems', { message: `The list is more than ${String(p['limit'])} items`, target: p['limit'] as number });
        break;
      case 'uniqueItems':
        addFieldError(out, path, 'uniqueItems', { message: 'List of items is not unique' });
        break;
      case 'pattern':
        addFieldError(out, path, 'pattern', { message: `Failed to match pattern '${String(p['pattern'])}'`, target: String(p['pattern']) });
        break;
      case 'format':
        addFieldError(out, path, 'format', { message: `Value did not match format: ${String(p['format'])}`, target: String(p['format']) });
        break;
      default:
        addFieldError(out, path, e.keyword, { message: 'failed to validate' });
    }
  }
  return out;
}

/** Prefixes every key of `errors` with `prefix.` (module data validated apart from its document). */
export function prefixErrors(prefix: string, errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [k, v] of Object.entries(errors)) out[k === '' ? prefix : `${prefix}.${k}`] = v;
  return out;
}

export function mergeErrors(into: FieldErrors, from: FieldErrors): void {
  for (const [path, rules] of Object.entries(from)) Object.assign((into[path] ??= {}), rules);
}
