import type { StoreConfig } from '../config/sections/store';
import { SqliteDocumentStore } from './sqlite';
import type { DocumentStore } from './types';

export * from './types';
export * from './errors';
export { SqliteDocumentStore } from './sqlite';
export { isAccountEnabled } from './account-state';
export type { SqliteStoreOptions } from './sqlite';
export { openSqliteFile, STATE_DIR_MODE, STATE_FILE_MODE } from './sqlite-file';
export { typeName, newId, newApiKey, nextRevision, mergePatch, publicFields, privateFields, getPath, isJsonObject } from './doc';

/** Opens the store the configuration names. */
export function openStore(config: Readonly<StoreConfig>): DocumentStore {
  switch (config.driver) {
    case 'sqlite':
      return new SqliteDocumentStore({ path: config.path });
  }
}
