import type {
  AccountInfo, CallflowInfo, DeviceInfo, DeviceMatch, Directory, ResourceInfo, UserInfo,
} from './types';

/** The documents an in-memory directory answers from. */
export interface DirectoryData {
  accounts?: AccountInfo[];
  devices?: DeviceInfo[];
  users?: UserInfo[];
  resources?: ResourceInfo[];
  callflows?: CallflowInfo[];
}

const enabled = (d: { enabled?: boolean }): boolean => d.enabled !== false;

/**
 * A Directory over plain arrays. Used by tests and by tools; production reads the document
 * store through StoreDirectory. Mutating the arrays passed in is visible to later look-ups.
 */
export class MemoryDirectory implements Directory {
  readonly accounts: AccountInfo[];
  readonly devices: DeviceInfo[];
  readonly users: UserInfo[];
  readonly resources: ResourceInfo[];
  readonly callflows: CallflowInfo[];

  constructor(data: DirectoryData = {}) {
    this.accounts = data.accounts ?? [];
    this.devices = data.devices ?? [];
    this.users = data.users ?? [];
    this.resources = data.resources ?? [];
    this.callflows = data.callflows ?? [];
  }

  async accountByRealm(realm: string): Promise<AccountInfo | undefined> {
    const r = realm.toLowerCase();
    return this.accounts.find((a) => enabled(a) && a.realm.toLowerCase() === r);
  }

  async accountById(id: string): Promise<AccountInfo | undefined> {
    return this.accounts.find((a) => a.id === id);
  }

  async deviceBySipCredentials(username: string, realm: string): Promise<DeviceMatch | undefined> {
    const r = realm.toLowerCase();
    const account = await this.accountByRealm(realm);
    for (const device of this.devices) {
      if (device.sip.username !== username) continue;
      const own = device.sip.realm?.toLowerCase();
      const owner = this.accounts.find((a) => a.id === device.account_id);
      if (!owner || !enabled(owner)) continue;
      if (own === r || (own === undefined && account?.id === device.account_id)) return { account: owner, device };
    }
    return undefined;
  }

  async deviceById(id: string): Promise<DeviceInfo | undefined> {
    return this.devices.find((d) => d.id === id);
  }

  async userById(id: string): Promise<UserInfo | undefined> {
    return this.users.find((u) => u.id === id);
  }

  async devicesByOwner(userId: string): Promise<DeviceInfo[]> {
    return this.devices.filter((d) => d.owner_id === userId);
  }

  async resourcesByAddress(address: string): Promise<ResourceInfo[]> {
    return this.resources.filter((r) => enabled(r)
      && (r.gateways.some((g) => g.server === address) || (r.inbound_ips ?? []).includes(address)));
  }

  async resourcesOfAccount(accountId: string): Promise<ResourceInfo[]> {
    return this.resources.filter((r) => r.account_id === accountId && enabled(r));
  }

  async allResources(): Promise<ResourceInfo[]> {
    return this.resources.filter(enabled);
  }

  async callflowByNumber(accountId: string, number: string): Promise<CallflowInfo | undefined> {
    return this.callflows.find((c) => c.account_id === accountId && (c.numbers ?? []).includes(number));
  }

  async patternCallflows(accountId: string): Promise<CallflowInfo[]> {
    return this.callflows.filter((c) => c.account_id === accountId && (c.patterns ?? []).length > 0);
  }

  async callflowByNumberAnyAccount(number: string): Promise<CallflowInfo | undefined> {
    return this.callflows.find((c) => (c.numbers ?? []).includes(number));
  }
}
