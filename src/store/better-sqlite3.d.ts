/**
 * Minimal typings for better-sqlite3 (the package ships none and @types/better-sqlite3 is not a
 * dependency). Only what the store uses is declared; widen here if another part needs more.
 */
declare module 'better-sqlite3' {
  namespace Database {
    type BindValue = string | number | bigint | Buffer | null;
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }
    interface Statement<Row = unknown> {
      run(...params: BindValue[]): RunResult;
      get(...params: BindValue[]): Row | undefined;
      all(...params: BindValue[]): Row[];
    }
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      timeout?: number;
    }
    interface Database {
      readonly open: boolean;
      readonly name: string;
      prepare<Row = unknown>(sql: string): Statement<Row>;
      exec(sql: string): Database;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      /** The wrapped function runs in BEGIN (DEFERRED); `.immediate` takes the write lock first. */
      transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate: (...args: A) => R };
      close(): Database;
    }
  }
  interface DatabaseConstructor {
    new (filename: string, options?: Database.Options): Database.Database;
    (filename: string, options?: Database.Options): Database.Database;
  }
  const Database: DatabaseConstructor;
  export = Database;
}
