import { NotFoundError } from './errors';
import type { AccountDoc, DocumentStore } from './types';

/**
 * Whether an account may act at all: it and every ancestor in its pvt_tree must not say
 * `enabled: false`. Disabling a reseller suspends everything below it at once, as Kazoo's
 * account tree does. An ancestor that cannot be read any more counts as disabled: a broken
 * tree fails closed rather than open. Shared by the API (tokens, api_auth) and the SIP side's
 * directory, so both refuse the same accounts.
 */
export async function isAccountEnabled(store: Pick<DocumentStore, 'readAccount'>, account: AccountDoc): Promise<boolean> {
  if (account['enabled'] === false) return false;
  for (const ancestorId of account.pvt_tree) {
    try {
      if ((await store.readAccount(ancestorId))['enabled'] === false) return false;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }
  return true;
}
