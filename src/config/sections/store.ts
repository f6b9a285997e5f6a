import { Type, type Static } from '@sinclair/typebox';

/** The document store (accounts, users, devices, callflows, resources, recordings metadata). */
export const StoreSection = Type.Object({
  /** 'sqlite' is the embedded default; a networked driver (PostgreSQL) would be added here. */
  driver: Type.Union([Type.Literal('sqlite')], { default: 'sqlite' }),
  /** SQLite file (WAL mode); its directory is created when missing. */
  path: Type.String({ minLength: 1, default: 'var/b2bua.sqlite' }),
}, { default: {} });

export type StoreConfig = Static<typeof StoreSection>;
