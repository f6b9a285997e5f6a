import {
  NotFoundError, type DocumentStore, type JsonObject, type StoredDoc,
} from '../store';
import type {
  AccountInfo, CallflowInfo, CallflowNode, DeviceInfo, DeviceMatch, Directory, GatewayInfo, ResourceInfo, UserInfo,
} from '../directory/types';

/**
 * The Directory signalling and calls read, over the document store. Kept in the service part
 * because it only maps shapes: documents (Kazoo JSON with `_id` / `pvt_account_id`) become the
 * typed views of ../directory/types. Missing documents answer undefined, never throw.
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const obj = (v: unknown): JsonObject | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function opt<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}

export function toAccount(d: StoredDoc): AccountInfo {
  return {
    id: d._id, realm: str(d.realm) ?? '',
    ...opt('name', str(d.name)), ...opt('enabled', bool(d.enabled)), ...opt('call_recording', obj(d.call_recording)),
  };
}

export function toDevice(d: StoredDoc): DeviceInfo {
  const sip = obj(d.sip) ?? {};
  return {
    id: d._id, account_id: d.pvt_account_id,
    sip: { username: str(sip.username) ?? '', password: str(sip.password) ?? '', ...opt('realm', str(sip.realm)) },
    ...opt('name', str(d.name)), ...opt('owner_id', str(d.owner_id)), ...opt('enabled', bool(d.enabled)),
    ...opt('call_recording', obj(d.call_recording)),
  };
}

export function toUser(d: StoredDoc): UserInfo {
  return {
    id: d._id, account_id: d.pvt_account_id,
    ...opt('first_name', str(d.first_name)), ...opt('last_name', str(d.last_name)), ...opt('enabled', bool(d.enabled)),
    ...opt('call_recording', obj(d.call_recording)),
  };
}

function toGateway(g: JsonObject): GatewayInfo {
  const t = str(g.transport)?.toLowerCase();
  const transport: GatewayInfo['transport'] = t === 'tcp' || t === 'udp' ? t : undefined;
  return {
    server: str(g.server) ?? '',
    ...opt('port', typeof g.port === 'number' ? g.port : typeof g.port === 'string' && /^\d+$/.test(g.port) ? Number(g.port) : undefined),
    ...opt('transport', transport),
    ...opt('realm', str(g.realm)), ...opt('username', str(g.username)), ...opt('password', str(g.password)),
    ...opt('register', bool(g.register)), ...opt('prefix', str(g.prefix)), ...opt('enabled', bool(g.enabled)),
  };
}

export function toResource(d: StoredDoc): ResourceInfo {
  const gateways = Array.isArray(d.gateways) ? d.gateways.map(obj).filter((g): g is JsonObject => g !== undefined).map(toGateway) : [];
  return {
    id: d._id, account_id: d.pvt_account_id, gateways, rules: strings(d.rules),
    ...opt('name', str(d.name)), ...opt('inbound_ips', Array.isArray(d.inbound_ips) ? strings(d.inbound_ips) : undefined),
    ...opt('enabled', bool(d.enabled)), ...opt('weight_cost', typeof d.weight_cost === 'number' ? d.weight_cost : undefined),
  };
}

function toNode(v: unknown): CallflowNode {
  const o = obj(v) ?? {};
  const kids = obj(o.children);
  const children: Record<string, CallflowNode> = {};
  for (const [k, c] of Object.entries(kids ?? {})) children[k] = toNode(c);
  return { module: str(o.module) ?? '', data: obj(o.data) ?? {}, ...(kids ? { children } : {}) };
}

export function toCallflow(d: StoredDoc): CallflowInfo {
  return {
    id: d._id, account_id: d.pvt_account_id, flow: toNode(d.flow),
    numbers: strings(d.numbers), patterns: strings(d.patterns),
    ...(d.featurecode !== undefined ? { featurecode: d.featurecode } : {}),
  };
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export class StoreDirectory implements Directory {
  constructor(private readonly store: DocumentStore) {}

  async accountByRealm(realm: string): Promise<AccountInfo | undefined> {
    const a = await this.store.findAccountByRealm(realm);
    return a && a.enabled !== false ? toAccount(a) : undefined;
  }

  async accountById(id: string): Promise<AccountInfo | undefined> {
    const a = await orUndefined(this.store.readAccount(id));
    return a ? toAccount(a) : undefined;
  }

  async deviceBySipCredentials(username: string, realm: string): Promise<DeviceMatch | undefined> {
    const m = await this.store.findDeviceBySipCredentials(username, realm);
    return m ? { account: toAccount(m.account), device: toDevice(m.device) } : undefined;
  }

  async deviceById(id: string): Promise<DeviceInfo | undefined> {
    const d = await orUndefined(this.store.read('devices', id));
    return d ? toDevice(d) : undefined;
  }

  async userById(id: string): Promise<UserInfo | undefined> {
    const u = await orUndefined(this.store.read('users', id));
    return u ? toUser(u) : undefined;
  }

  async devicesByOwner(userId: string): Promise<DeviceInfo[]> {
    return (await this.store.findBy('devices', 'owner_id', userId)).map(toDevice);
  }

  async resourcesByAddress(address: string): Promise<ResourceInfo[]> {
    return (await this.store.findResourcesByAddress(address)).map(toResource);
  }

  async resourcesOfAccount(accountId: string): Promise<ResourceInfo[]> {
    return (await this.store.list('resources', accountId)).map(toResource);
  }

  async allResources(): Promise<ResourceInfo[]> {
    return (await this.store.listAllResources()).map(toResource).filter((r) => r.enabled !== false);
  }

  async callflowByNumber(accountId: string, number: string): Promise<CallflowInfo | undefined> {
    const c = await this.store.findCallflowByNumber(accountId, number);
    return c ? toCallflow(c) : undefined;
  }

  async patternCallflows(accountId: string): Promise<CallflowInfo[]> {
    return (await this.store.listPatternCallflows(accountId)).map(toCallflow);
  }

  async callflowByNumberAnyAccount(number: string): Promise<CallflowInfo | undefined> {
    const c = await this.store.findCallflowByNumberAnyAccount(number);
    return c ? toCallflow(c) : undefined;
  }
}
