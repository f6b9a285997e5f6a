import { NotFoundError, type AccountDoc, type DocumentStore } from '../store';
import { S3_SECRET_FIELD, type S3Settings } from './account-storage';
import type { S3Target } from './s3/client';

/**
 * The S3 credentials an account's recordings use: its own `storage.s3`, else its nearest
 * ancestor's (a reseller may hold the bucket for its customers), with the private secret.
 */
export async function s3CredentialsOf(store: DocumentStore, accountId: string): Promise<S3Target | undefined> {
  const account = await accountOrNone(store, accountId);
  if (!account) return undefined;
  for (const id of [account._id, ...[...account.pvt_tree].reverse()]) {
    const doc = id === account._id ? account : await store.readAccount(id).catch(() => undefined);
    const s3 = (doc?.['storage'] as { s3?: S3Settings } | undefined)?.s3;
    const secret = doc?.[S3_SECRET_FIELD];
    if (!s3 || typeof secret !== 'string') continue;
    return { endpoint: s3.endpoint ?? '', region: s3.region, accessKeyId: s3.access_key_id, secretAccessKey: secret, pathStyle: s3.path_style };
  }
  return undefined;
}

/** Whether the account's recordings get a metadata sidecar: its own or nearest ancestor's `storage.sidecar`, else `fallback` (config). */
export async function sidecarEnabled(store: DocumentStore, accountId: string, fallback: boolean): Promise<boolean> {
  const account = await accountOrNone(store, accountId);
  if (!account) return fallback;
  for (const id of [account._id, ...[...account.pvt_tree].reverse()]) {
    const doc = id === account._id ? account : await store.readAccount(id).catch(() => undefined);
    const v = (doc?.['storage'] as { sidecar?: boolean } | undefined)?.sidecar;
    if (typeof v === 'boolean') return v;
  }
  return fallback;
}

/**
 * The account, or undefined when it is gone: a recording made before its account was deleted
 * is still delivered (the configured defaults apply); a store that cannot be read still fails.
 */
async function accountOrNone(store: DocumentStore, accountId: string): Promise<AccountDoc | undefined> {
  try {
    return await store.readAccount(accountId);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
