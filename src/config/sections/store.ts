import { Type, type Static } from '@sinclair/typebox';

/** The document store (accounts, users, devices, callflows, resources, recordings metadata). */
export const StoreSection = Type.Object({
  /**
   * 'sqlite' is the embedded default (one node); 'postgres' shares the documents between
   * several nodes (store.url).
   */
  driver: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite' }),
  /** SQLite file (WAL mode); its directory is created when missing. */
  path: Type.String({ minLength: 1, default: 'var/b2bua.sqlite' }),
  /** PostgreSQL connection URL (postgres://user:password@host:port/db), for driver 'postgres'. */
  url: Type.String({ default: '' }),
  /** PostgreSQL connection pool and timeouts (driver 'postgres'). */
  pool: Type.Object({
    /** Connections per node at most; requests beyond wait for a free one. */
    max: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
    /** How long a request waits for a connection (new or from the pool) before failing. */
    connectTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
    /** Server-side statement_timeout of every connection. */
    statementTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
    /** An idle connection is closed after this long. */
    idleTimeoutMs: Type.Integer({ minimum: 1000, default: 30000 }),
  }, { default: {} }),
}, { default: {} });

export type StoreConfig = Static<typeof StoreSection>;
