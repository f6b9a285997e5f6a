import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors';
import { EngineSection } from './sections/engine';
import { ApiSection } from './sections/api';
import { StoreSection } from './sections/store';
import { DeliverySection } from './sections/delivery';
import { MediaSection } from './sections/media';
import { SignallingSection } from './sections/signalling';
import { RecorderSection } from './sections/recorder';
import { CallsSection } from './sections/calls';
import { ServiceSection } from './sections/service';
import { StateSection } from './sections/state';
import { StorageSection } from './sections/storage';

export { ConfigError } from './errors';

/**
 * The whole static configuration. Each part owns its section schema in ./sections so the schema
 * sits next to nothing but configuration; documents (accounts, devices...) live in the store.
 */
export const ConfigSchema = Type.Object({
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  engine: EngineSection,
  api: ApiSection,
  store: StoreSection,
  delivery: DeliverySection,
  media: MediaSection,
  signalling: SignallingSection,
  recorder: RecorderSection,
  calls: CallsSection,
  service: ServiceSection,
  state: StateSection,
  storage: StorageSection,
});

export type Config = Static<typeof ConfigSchema>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
export type FrozenConfig = DeepReadonly<Config>;

const ENV_PREFIX = 'B2BUA_';

/**
 * Environment overrides: B2BUA_API__PORT=8001 sets api.port (double underscore nests; segments
 * are turned from SNAKE_CASE into camelCase). Arrays/objects are given as JSON; scalars are
 * converted to the schema's type (see parseScalar).
 */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || raw === undefined || key === `${ENV_PREFIX}CONFIG`) continue;
    const path = key.slice(ENV_PREFIX.length).split('__').map(camel);
    let node = out;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      node = (typeof next === 'object' && next !== null ? next : (node[seg] = {})) as Record<string, unknown>;
    }
    node[path[path.length - 1]] = parseScalar(raw);
  }
  return out;
}

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Arrays and objects come as JSON; scalars stay strings here and are converted against the
 * schema in parseConfig (so an all-digit secret stays a string, while "250" becomes a number
 * where the schema wants one).
 */
function parseScalar(raw: string): unknown {
  const trimmed = raw.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return raw;
  try {
    return JSON.parse(trimmed);
  } catch {
    return raw;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Validates input against the schema (defaults applied), then freezes it. Throws ConfigError. */
export function parseConfig(input: unknown): FrozenConfig {
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, Value.Clone(input ?? {})));
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(withDefaults as Config);
}

/**
 * Loads configuration once at start: the file named by B2BUA_CONFIG (JSON), or config/default.json
 * when present, then environment overrides on top.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaultFile = 'config/default.json'): FrozenConfig {
  const file = env[`${ENV_PREFIX}CONFIG`] ?? defaultFile;
  let fromFile: Record<string, unknown> = {};
  try {
    fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(code === 'ENOENT' && env[`${ENV_PREFIX}CONFIG`] === undefined)) {
      throw new ConfigError([`${file}: ${(err as Error).message}`]);
    }
  }
  return parseConfig(deepMerge(fromFile, envOverrides(env)));
}
