import { ConflictError, InvalidDocumentError } from './errors';
import { isJsonObject, mergePatch, nextRevision, typeName } from './doc';
import type { Collection, JsonObject, StoredDoc } from './types';

/**
 * What a write does to a document, shared by every driver so that the SQLite and PostgreSQL
 * stores hand out the same documents and the same revisions for the same writes.
 */

/** Private keys the store owns; callers cannot set them through create/replace/merge. */
export const MANAGED_KEYS = new Set(['_id', '_rev', 'pvt_type', 'pvt_account_id', 'pvt_created', 'pvt_modified', 'pvt_deleted', 'pvt_tree']);

/** Dotted field paths accepted by findBy; keeps the generated JSON path well-formed. */
export const FIELD_PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

export function assertFieldPath(path: string): void {
  if (!FIELD_PATH.test(path)) throw new InvalidDocumentError(`bad field path ${JSON.stringify(path)}`);
}

export function assertObject(body: unknown): asserts body is JsonObject {
  if (!isJsonObject(body)) throw new InvalidDocumentError('a document must be a JSON object');
}

export function checkRev(collection: string, id: string, expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual) throw new ConflictError(collection, id, expected, actual);
}

/** The first revision of a new document; `extra` are managed fields the caller derived (pvt_tree). */
export function newDocument(collection: Collection, accountId: string, id: string, body: JsonObject, extra: JsonObject, nowSec: number): StoredDoc {
  assertObject(body);
  const content: JsonObject = {};
  for (const [k, v] of Object.entries(body)) if (!MANAGED_KEYS.has(k)) content[k] = v;
  Object.assign(content, extra, {
    pvt_type: typeName(collection),
    pvt_account_id: accountId,
    pvt_created: nowSec,
    pvt_modified: nowSec,
  });
  return { ...content, _id: id, _rev: nextRevision(undefined, content) } as StoredDoc;
}

/** The next revision of `current` after `change`; managed fields survive whatever it did. */
export function nextDocument(current: StoredDoc, change: (content: JsonObject) => JsonObject, nowSec: number): StoredDoc {
  const { _id: id, _rev: rev, ...content } = current;
  const next = change(content);
  for (const k of ['pvt_type', 'pvt_account_id', 'pvt_created', 'pvt_tree'] as const) {
    if (content[k] !== undefined) next[k] = content[k];
    else delete next[k];
  }
  if (next['pvt_deleted'] !== true) delete next['pvt_deleted'];
  next['pvt_modified'] = nowSec;
  return { ...next, _id: id, _rev: nextRevision(rev, next) } as StoredDoc;
}

/** replace(): public content from `body`, stored pvt_ fields kept unless `body` overrides them. */
export function replaceChange(body: JsonObject): (current: JsonObject) => JsonObject {
  assertObject(body);
  return (current) => {
    const next: JsonObject = {};
    for (const [k, v] of Object.entries(current)) if (k.startsWith('pvt_')) next[k] = v;
    for (const [k, v] of Object.entries(body)) if (!MANAGED_KEYS.has(k)) next[k] = v;
    return next;
  };
}

/** merge(): RFC 7396 merge of the unmanaged keys of `patch`. */
export function mergeChange(patch: JsonObject): (current: JsonObject) => JsonObject {
  assertObject(patch);
  const allowed: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) if (!MANAGED_KEYS.has(k)) allowed[k] = v;
  return (current) => mergePatch(current, allowed);
}

export function softDeleteChange(current: JsonObject): JsonObject {
  return { ...current, pvt_deleted: true };
}
