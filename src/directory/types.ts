/**
 * The documents signalling reads, typed as signalling needs them, and the narrow look-up
 * interface it reads them through. Signalling never depends on the store's internals: the
 * production adapter (./store-directory.ts) maps the document store onto this interface, tests
 * may use the in-memory one (./memory-directory.ts).
 */

/** The recording settings blob is opaque here: the policy part owns its schema. */
export type CallRecordingSettings = Record<string, unknown>;

export interface AccountInfo {
  id: string;
  name?: string;
  /** SIP realm of the account: devices register as username@realm. */
  realm: string;
  /**
   * False when the account is suspended: disabled itself or below a disabled ancestor (the
   * store directory folds the ancestors in). Absent means enabled.
   */
  enabled?: boolean;
  call_recording?: CallRecordingSettings;
  /** In-call feature codes (Kazoo's konami metaflows); opaque here, the API validates them. */
  metaflows?: Record<string, unknown>;
}

export interface DeviceSipSettings {
  username: string;
  password: string;
  /** A device may carry its own realm instead of the account's. */
  realm?: string;
}

export interface DeviceInfo {
  id: string;
  account_id: string;
  name?: string;
  /** The user owning the device. */
  owner_id?: string;
  sip: DeviceSipSettings;
  call_recording?: CallRecordingSettings;
  /** Absent means enabled. */
  enabled?: boolean;
  /** Kazoo `media.encryption.methods`: "srtp" (SDES) or "dtls" asks for SRTP toward this device. */
  encryption?: string[];
}

export interface UserInfo {
  id: string;
  account_id: string;
  first_name?: string;
  last_name?: string;
  call_recording?: CallRecordingSettings;
  enabled?: boolean;
}

export type GatewayTransport = 'udp' | 'tcp' | 'tls';

export interface GatewayInfo {
  /** Host name or IP address of the provider's SIP server. */
  server: string;
  port?: number;
  transport?: GatewayTransport;
  /** Realm used when registering; defaults to `server`. */
  realm?: string;
  username?: string;
  password?: string;
  /** Whether the B2BUA registers to this gateway (acting as a UAC). */
  register?: boolean;
  /** Prepended to the dialled number when sending calls out. */
  prefix?: string;
  enabled?: boolean;
}

export interface ResourceInfo {
  id: string;
  account_id: string;
  name?: string;
  gateways: GatewayInfo[];
  /** Regexes over the dialled number selecting this trunk for outbound calls. */
  rules: string[];
  /** Extra source addresses calls from this trunk may come from. */
  inbound_ips?: string[];
  enabled?: boolean;
  /** Lower weights are tried first. */
  weight_cost?: number;
  /** Media encryption toward this trunk (`media.srtp`, default none). */
  srtp?: 'none' | 'sdes' | 'dtls' | 'passthrough';
}

/** Kazoo callflow flow node. */
export interface CallflowNode {
  module: string;
  data: Record<string, unknown>;
  /** Branches keyed by outcome; `_` is the default branch. */
  children?: Record<string, CallflowNode>;
}

export interface CallflowInfo {
  id: string;
  account_id: string;
  numbers?: string[];
  patterns?: string[];
  flow: CallflowNode;
  /** Kazoo's catch-all flag: used when nothing else matches. */
  featurecode?: unknown;
}

/** A device found for REGISTER/INVITE credentials, with the account that owns it. */
export interface DeviceMatch {
  account: AccountInfo;
  device: DeviceInfo;
}

/** The look-ups signalling needs, nothing more. All are asynchronous: the store may be remote. */
export interface Directory {
  accountByRealm(realm: string): Promise<AccountInfo | undefined>;
  accountById(id: string): Promise<AccountInfo | undefined>;
  /** The device authenticating as `username@realm` (account realm or the device's own realm). */
  deviceBySipCredentials(username: string, realm: string): Promise<DeviceMatch | undefined>;
  deviceById(id: string): Promise<DeviceInfo | undefined>;
  userById(id: string): Promise<UserInfo | undefined>;
  /** Devices whose owner_id is `userId` (for the `user` callflow module). */
  devicesByOwner(userId: string): Promise<DeviceInfo[]>;
  /** Resources whose gateway `server` or `inbound_ips` equal `address`, across accounts. */
  resourcesByAddress(address: string): Promise<ResourceInfo[]>;
  resourcesOfAccount(accountId: string): Promise<ResourceInfo[]>;
  /** Every enabled resource of every account (the trunk registrar walks these). */
  allResources(): Promise<ResourceInfo[]>;
  /** Callflows of one account: those listing `number`, then those with patterns. */
  callflowByNumber(accountId: string, number: string): Promise<CallflowInfo | undefined>;
  patternCallflows(accountId: string): Promise<CallflowInfo[]>;
  /**
   * Inbound trunk calls: the callflow listing `number` in any account (a DID belongs to one
   * account). Undefined when no account owns the number.
   */
  callflowByNumberAnyAccount(number: string): Promise<CallflowInfo | undefined>;
}
