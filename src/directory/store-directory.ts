import type { AccountDoc, DocumentStore, JsonValue, StoredDoc } from '../store/types';
import { NotFoundError } from '../store/errors';
import { isAccountEnabled } from '../store/account-state';
import type {
  AccountInfo, CallflowInfo, CallflowNode, DeviceInfo, DeviceMatch, Directory, GatewayInfo, ResourceInfo, UserInfo,
} from './types';

/**
 * The production Directory: reads the document store (SQLite by default) through its public
 * interface and maps Kazoo-shaped documents to the types signalling uses. Documents that lack
 * what signalling needs (a device without sip credentials, a resource without gateways) are
 * left out rather than half-used.
 */

type Obj = { [k: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: JsonValue | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const num = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const recording = (v: JsonValue | undefined): Record<string, unknown> | undefined => (isObj(v) ? v : undefined);

/** Drops undefined members so optional properties stay absent (exactOptionalPropertyTypes-friendly). */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function toAccount(d: StoredDoc): AccountInfo | undefined {
  const realm = str(d.realm);
  if (!realm) return undefined;
  return clean({ id: d._id, name: str(d.name), realm, enabled: bool(d.enabled), call_recording: recording(d.call_recording), metaflows: recording(d.metaflows) });
}

export function toDevice(d: StoredDoc): DeviceInfo | undefined {
  const sip = d.sip;
  if (!isObj(sip)) return undefined;
  const username = str(sip.username);
  const password = str(sip.password);
  if (!username || password === undefined) return undefined;
  return clean({
    id: d._id, account_id: d.pvt_account_id, name: str(d.name), owner_id: str(d.owner_id),
    sip: clean({ username, password, realm: str(sip.realm) }),
    call_recording: recording(d.call_recording), enabled: bool(d.enabled),
    encryption: isObj(d.media) && isObj(d.media.encryption) && Array.isArray(d.media.encryption.methods)
      ? strings(d.media.encryption.methods) : undefined,
  });
}

export function toUser(d: StoredDoc): UserInfo {
  return clean({
    id: d._id, account_id: d.pvt_account_id, first_name: str(d.first_name), last_name: str(d.last_name),
    call_recording: recording(d.call_recording), enabled: bool(d.enabled),
  });
}

function toGateway(g: JsonValue): GatewayInfo | undefined {
  if (!isObj(g)) return undefined;
  const server = str(g.server);
  if (!server) return undefined;
  const t = str(g.transport)?.toLowerCase();
  const transport: GatewayInfo['transport'] = t === 'tcp' || t === 'udp' || t === 'tls' ? t : undefined;
  return clean({
    server, port: num(g.port), transport,
    realm: str(g.realm), username: str(g.username), password: str(g.password), register: bool(g.register),
    prefix: str(g.prefix), enabled: bool(g.enabled),
  });
}

function srtpMode(v: string | undefined): ResourceInfo['srtp'] {
  return v === 'none' || v === 'sdes' || v === 'dtls' || v === 'passthrough' ? v : undefined;
}

export function toResource(d: StoredDoc): ResourceInfo | undefined {
  const gateways = (Array.isArray(d.gateways) ? d.gateways : []).map(toGateway).filter((g): g is GatewayInfo => g !== undefined);
  if (gateways.length === 0) return undefined;
  return clean({
    id: d._id, account_id: d.pvt_account_id, name: str(d.name), gateways, rules: strings(d.rules),
    inbound_ips: Array.isArray(d.inbound_ips) ? strings(d.inbound_ips) : undefined,
    enabled: bool(d.enabled), weight_cost: num(d.weight_cost),
    srtp: srtpMode(isObj(d.media) ? str(d.media.srtp) : undefined),
  });
}

function toNode(v: JsonValue | undefined): CallflowNode | undefined {
  if (!isObj(v)) return undefined;
  const module = str(v.module);
  if (!module) return undefined;
  const children: Record<string, CallflowNode> = {};
  if (isObj(v.children)) {
    for (const [k, c] of Object.entries(v.children)) {
      const n = toNode(c);
      if (n) children[k] = n;
    }
  }
  return { module, data: isObj(v.data) ? v.data : {}, ...(Object.keys(children).length > 0 ? { children } : {}) };
}

export function toCallflow(d: StoredDoc): CallflowInfo | undefined {
  const flow = toNode(d.flow);
  if (!flow) return undefined;
  return { id: d._id, account_id: d.pvt_account_id, numbers: strings(d.numbers), patterns: strings(d.patterns), flow };
}

const defined = <T>(x: T | undefined): x is T => x !== undefined;

export class StoreDirectory implements Directory {
  constructor(private readonly store: DocumentStore) {}

  /**
   * The account as signalling sees it: `enabled` is false when the account or any ancestor is
   * disabled, so the registrar and INVITE authentication (403) and the router (calls to it
   * refused) suspend a whole subtree with one flag.
   */
  private async account(doc: AccountDoc): Promise<AccountInfo | undefined> {
    const info = toAccount(doc);
    if (info && !(await isAccountEnabled(this.store, doc))) info.enabled = false;
    return info;
  }

  private async accountEnabled(id: string): Promise<boolean> {
    try {
      return await isAccountEnabled(this.store, await this.store.readAccount(id));
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  async accountByRealm(realm: string): Promise<AccountInfo | undefined> {
    const a = await this.store.findAccountByRealm(realm);
    return a ? this.account(a) : undefined;
  }

  async accountById(id: string): Promise<AccountInfo | undefined> {
    try {
      return await this.account(await this.store.readAccount(id));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async deviceBySipCredentials(username: string, realm: string): Promise<DeviceMatch | undefined> {
    const m = await this.store.findDeviceBySipCredentials(username, realm);
    if (!m) return undefined;
    const account = await this.account(m.account);
    const device = toDevice(m.device);
    return account && device ? { account, device } : undefined;
  }

  async deviceById(id: string): Promise<DeviceInfo | undefined> {
    return this.readOne('devices', id, toDevice);
  }

  async userById(id: string): Promise<UserInfo | undefined> {
    return this.readOne('users', id, toUser);
  }

  async devicesByOwner(userId: string): Promise<DeviceInfo[]> {
    return (await this.store.findBy('devices', 'owner_id', userId)).map(toDevice).filter(defined);
  }

  async resourcesByAddress(address: string): Promise<ResourceInfo[]> {
    return (await this.store.findResourcesByAddress(address)).map(toResource).filter(defined).filter((r) => r.enabled !== false);
  }

  async resourcesOfAccount(accountId: string): Promise<ResourceInfo[]> {
    return (await this.store.list('resources', accountId)).map(toResource).filter(defined).filter((r) => r.enabled !== false);
  }

  /** Resources of suspended accounts are left out: the service stops registering their trunks. */
  async allResources(): Promise<ResourceInfo[]> {
    const live = (await this.store.listAllResources()).map(toResource).filter(defined).filter((r) => r.enabled !== false);
    const enabled = new Map<string, boolean>();
    const out: ResourceInfo[] = [];
    for (const r of live) {
      if (!enabled.has(r.account_id)) enabled.set(r.account_id, await this.accountEnabled(r.account_id));
      if (enabled.get(r.account_id) === true) out.push(r);
    }
    return out;
  }

  async callflowByNumber(accountId: string, number: string): Promise<CallflowInfo | undefined> {
    const d = await this.store.findCallflowByNumber(accountId, number);
    return d ? toCallflow(d) : undefined;
  }

  async patternCallflows(accountId: string): Promise<CallflowInfo[]> {
    return (await this.store.listPatternCallflows(accountId)).map(toCallflow).filter(defined);
  }

  async callflowByNumberAnyAccount(number: string): Promise<CallflowInfo | undefined> {
    const d = await this.store.findCallflowByNumberAnyAccount(number);
    return d ? toCallflow(d) : undefined;
  }

  private async readOne<T>(collection: 'devices' | 'users', id: string, map: (d: StoredDoc) => T | undefined): Promise<T | undefined> {
    try {
      return map(await this.store.read(collection, id));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}
