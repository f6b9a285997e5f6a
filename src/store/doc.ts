import { createHash, randomBytes } from 'node:crypto';
import type { Collection, JsonObject, JsonValue } from './types';

/** Kazoo ids: 32 lowercase hex characters (a UUID without dashes). */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

/** Account API keys in Kazoo are 64 hex characters. */
export function newApiKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The revision after `prev` for content `body`: `N-<md5>` as CouchDB writes it. The number
 * counts writes; the hash lets two stores holding the same content agree on it.
 */
export function nextRevision(prev: string | undefined, body: JsonObject): string {
  const n = prev === undefined ? 0 : revisionNumber(prev);
  const hash = createHash('md5').update(canonicalJson(body)).digest('hex');
  return `${n + 1}-${hash}`;
}

export function revisionNumber(rev: string): number {
  const n = Number.parseInt(rev.split('-', 1)[0] ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** JSON with object keys sorted, so equal content hashes equally whatever the key order. */
export function canonicalJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k] as JsonValue)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * RFC 7396 merge: objects merge recursively, `null` deletes the key, everything else (arrays
 * included) replaces. Returns a new object; inputs are not modified.
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k];
    } else if (isJsonObject(v)) {
      const base = out[k];
      out[k] = mergePatch(isJsonObject(base) ? base : {}, v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** A document without `_`-prefixed and `pvt_`-prefixed keys (what Crossbar shows and accepts). */
export function publicFields(doc: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!isPrivateKey(k)) out[k] = v;
  }
  return out;
}

export function privateFields(doc: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(doc)) {
    if (isPrivateKey(k)) out[k] = v;
  }
  return out;
}

export function isPrivateKey(k: string): boolean {
  return k.startsWith('_') || k.startsWith('pvt_');
}

/** Reads a dotted path (`sip.username`) from a document. */
export function getPath(doc: JsonObject, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (const seg of path.split('.')) {
    if (!isJsonObject(node)) return undefined;
    node = node[seg];
  }
  return node;
}

/** Kazoo's pvt_type is the singular: account, user, device, callflow, resource... */
export function typeName(collection: Collection): string {
  switch (collection) {
    case 'accounts':
      return 'account';
    case 'users':
      return 'user';
    case 'devices':
      return 'device';
    case 'callflows':
      return 'callflow';
    case 'resources':
      return 'resource';
    case 'recordings':
      return 'call_recording';
    case 'calls':
      return 'call';
  }
}
