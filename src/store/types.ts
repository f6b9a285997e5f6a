/**
 * The document store's contract. Documents are JSON objects in the CouchDB/Kazoo style: `_id`,
 * `_rev` (`N-<hash>`), public fields, and private `pvt_` fields that the API never shows nor
 * accepts. Every document belongs to one account (`pvt_account_id`; an account document belongs
 * to itself). The interface is asynchronous so that a networked store (PostgreSQL for several
 * nodes) can implement it; the embedded SQLite store answers synchronously underneath.
 */

export const COLLECTIONS = ['accounts', 'users', 'devices', 'callflows', 'resources', 'recordings', 'calls'] as const;
export type Collection = (typeof COLLECTIONS)[number];

export function isCollection(s: string): s is Collection {
  return (COLLECTIONS as readonly string[]).includes(s);
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

/** Private fields every stored document carries. */
export interface PrivateFields {
  _id: string;
  _rev: string;
  pvt_type: string;
  pvt_account_id: string;
  /** Unix seconds. */
  pvt_created: number;
  pvt_modified: number;
  /** Present and true once soft-deleted (Kazoo keeps the document, flagged). */
  pvt_deleted?: boolean;
}

/** Accounts also carry their ancestry, root first (Kazoo's pvt_tree), and their API key. */
export interface AccountPrivateFields extends PrivateFields {
  pvt_tree: string[];
  pvt_api_key?: string;
}

export type StoredDoc = JsonObject & PrivateFields;
export type AccountDoc = JsonObject & AccountPrivateFields;

export interface CreateOptions {
  /** Use this id instead of a generated one (32 lowercase hex characters are generated). */
  id?: string;
}

export interface WriteOptions {
  /** When given, the write fails with ConflictError unless the stored revision is this one. */
  rev?: string;
}

export interface DeleteOptions extends WriteOptions {
  /** Remove the row instead of flagging pvt_deleted (Kazoo's `?hard=true`). */
  hard?: boolean;
}

export interface ReadOptions {
  /** Return soft-deleted documents too (they are otherwise NotFound / left out). */
  includeDeleted?: boolean;
}

/** The account document for a realm and the device in it: what a registrar needs for a REGISTER. */
export interface SipCredentialsMatch {
  account: AccountDoc;
  device: StoredDoc;
}

export interface DocumentStore {
  /**
   * Creates a document owned by `accountId`. For the `accounts` collection use createAccount.
   * Fields of `body` named `_id`, `_rev` or the managed pvt_ fields are ignored; other pvt_ fields
   * are stored (internal callers may keep private state that way).
   */
  create(collection: Collection, accountId: string, body: JsonObject, opts?: CreateOptions): Promise<StoredDoc>;
  /** Creates an account; `parentId` null makes a root account (the master). pvt_tree is derived. */
  createAccount(parentId: string | null, body: JsonObject, opts?: CreateOptions): Promise<AccountDoc>;
  read(collection: Collection, id: string, opts?: ReadOptions): Promise<StoredDoc>;
  readAccount(id: string, opts?: ReadOptions): Promise<AccountDoc>;
  /**
   * Replaces the public content; managed private fields are kept, other pvt_ fields of `body`
   * overwrite stored ones and stored pvt_ fields missing from `body` are kept.
   */
  replace(collection: Collection, id: string, body: JsonObject, opts?: WriteOptions): Promise<StoredDoc>;
  /**
   * Deep-merges `patch` into the document: objects merge recursively, arrays and scalars replace,
   * and `null` removes the key (RFC 7396 JSON merge patch semantics).
   */
  merge(collection: Collection, id: string, patch: JsonObject, opts?: WriteOptions): Promise<StoredDoc>;
  /** Soft delete by default (returns the flagged document); hard removes it. */
  delete(collection: Collection, id: string, opts?: DeleteOptions): Promise<StoredDoc>;
  /** Soft-deletes an account and every document it owns, in one transaction. */
  deleteAccount(id: string, opts?: WriteOptions): Promise<AccountDoc>;
  /** Live documents of an account, oldest first. */
  list(collection: Collection, accountId: string, opts?: ReadOptions): Promise<StoredDoc[]>;
  /**
   * Live documents whose field at `path` (dotted, e.g. `sip.username`) equals `value`; restricted
   * to one account when `accountId` is given.
   */
  findBy(collection: Collection, path: string, value: string | number | boolean, accountId?: string): Promise<StoredDoc[]>;

  // Query helpers for the registrar, the trunk matcher and the callflow engine.
  /** The live account with that realm (realms compare case-insensitively, as SIP hosts do). */
  findAccountByRealm(realm: string): Promise<AccountDoc | undefined>;
  /** The live account whose pvt_api_key is `key`. */
  findAccountByApiKey(key: string): Promise<AccountDoc | undefined>;
  /**
   * The device that authenticates as `username@realm`: a device of the account owning `realm`
   * with that sip.username (and no sip.realm of its own), or a device whose own sip.realm is
   * `realm`. Undefined when none, or when the owning account is deleted.
   */
  findDeviceBySipCredentials(username: string, realm: string): Promise<SipCredentialsMatch | undefined>;
  /** The account's live callflow that lists `number` in `numbers`. */
  findCallflowByNumber(accountId: string, number: string): Promise<StoredDoc | undefined>;
  /**
   * The live callflow listing `number` in any account (inbound trunk calls: a DID belongs to one
   * account). The oldest wins should two accounts list the same number.
   */
  findCallflowByNumberAnyAccount(number: string): Promise<StoredDoc | undefined>;
  /** The account's live callflows that have at least one pattern. */
  listPatternCallflows(accountId: string): Promise<StoredDoc[]>;
  /**
   * Live resources (trunks) that accept traffic from `address`: a gateway's `server` equal to it
   * or an entry of `inbound_ips` equal to it. Across all accounts.
   */
  findResourcesByAddress(address: string): Promise<StoredDoc[]>;
  /** Every live resource of every live account (the trunk registrar walks these). */
  listAllResources(): Promise<StoredDoc[]>;
  /** Live accounts below `accountId` (any depth). */
  listDescendants(accountId: string): Promise<AccountDoc[]>;
  /** Live direct children of `accountId`. */
  listChildren(accountId: string): Promise<AccountDoc[]>;
  /** True when `accountId` is `ancestorId` or below it. Deleted accounts still answer by their tree. */
  isSameOrDescendant(ancestorId: string, accountId: string): Promise<boolean>;
  close(): Promise<void>;
}
