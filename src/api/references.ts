import { NotFoundError, type AccountDoc, type Collection } from '../store';
import type { ApiContext } from './context';
import type { FieldErrors } from './validation';

/** A field of a document that names another document (`owner_id`, a callflow node's `data.id`). */
export interface Reference {
  /** Crossbar's dotted field path, e.g. `flow.children._.data.id`. */
  path: string;
  /** Where the named document lives; `accounts` means the account itself. */
  collection: Collection;
  id: string;
}

const NOUN: Partial<Record<Collection, string>> = { users: 'user', devices: 'device', accounts: 'account', resources: 'resource', callflows: 'callflow' };

/**
 * Tenancy of references: every id a document carries must name a live document of the
 * document's own account. Kazoo's Crossbar reads a referenced id from the account's own
 * database, so another account's document, a descendant's included, is simply not there; the
 * same holds here. Absent, deleted, another tenant's and a descendant's document all give the
 * same `not_found` error, so a tenant cannot probe which ids exist elsewhere.
 */
export async function checkReferences(ctx: ApiContext, account: AccountDoc, refs: readonly Reference[]): Promise<FieldErrors> {
  const errors: FieldErrors = {};
  for (const r of refs) {
    if (await ownedBy(ctx, account, r.collection, r.id)) continue;
    const noun = NOUN[r.collection] ?? 'document';
    errors[r.path] = { not_found: { message: `The ${noun} ${r.id} does not exist in this account`, cause: r.id } };
  }
  return errors;
}

async function ownedBy(ctx: ApiContext, account: AccountDoc, collection: Collection, id: string): Promise<boolean> {
  if (collection === 'accounts') return id === account._id;
  try {
    return (await ctx.store.read(collection, id)).pvt_account_id === account._id;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}
