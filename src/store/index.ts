import type { StoreConfig } from '../config/sections/store';
import { PostgresDocumentStore, type PostgresStoreOptions } from './postgres';
import { SqliteDocumentStore } from './sqlite';
import { ConfigError } from '../config/errors';
import type { DocumentStore } from './types';

export * from './types';
export * from './errors';
export { SqliteDocumentStore } from './sqlite';
export { isAccountEnabled } from './account-state';
export type { SqliteStoreOptions } from './sqlite';
export { PostgresDocumentStore } from './postgres';
export type { PostgresStoreOptions, PostgresPoolOptions } from './postgres';
export { migrate, MIGRATIONS } from './migrations';
export { openSqliteFile, STATE_DIR_MODE, STATE_FILE_MODE } from './sqlite-file';
export { typeName, newId, newApiKey, nextRevision, mergePatch, publicFields, privateFields, getPath, isJsonObject } from './doc';

/** What the service hears from a networked store (logs, metrics). */
export type StoreHooks = Pick<PostgresStoreOptions, 'onIdleError' | 'onUnavailable'>;

/** Opens the store the configuration names. PostgreSQL: connects and applies pending schema migrations first. */
export async function openStore(config: Readonly<StoreConfig>, hooks: StoreHooks = {}): Promise<DocumentStore> {
  switch (config.driver) {
    case 'sqlite':
      return new SqliteDocumentStore({ path: config.path });
    case 'postgres':
      if (config.url === '') throw new ConfigError(['/store/url: required when store.driver is "postgres"']);
      return PostgresDocumentStore.open({ url: config.url, pool: config.pool, ...hooks });
  }
}
