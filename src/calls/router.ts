import pino, { type Logger } from 'pino';
import { MatchKind, dialledNumber, lookupCallflow, type CallflowMatch } from './callflow';
import type { CallflowInfo, CallflowNode, DeviceInfo, Directory, ResourceInfo, UserInfo } from '../directory/types';
import { CalleeKind, CallerKind, type Callee, type Caller } from '../signalling/direction';
import type { RouteTarget } from '../signalling/registrar/registrations';
import { AccountDisabledError, BadCallflowError, NoRouteError, NotRegisteredError, UnusableTargetError } from './errors';
import {
  RouteModule, TargetKind, endsInRecordCaller, matchingResources, resourceStages, splitActions, walkFlow,
  type FlowAction, type Stage, type Target,
} from './plan';

/**
 * Decides where a call goes: the callflow for the dialled number (Kazoo's selection), walked to
 * its routing module, turned into stages of targets from the registrations and the account's
 * trunks. Throws a CallError when the call cannot be routed (404 / 480 / 500).
 */

export interface RegistrationLookup {
  /** Registered contacts of a device, best first. */
  deviceTargets(deviceId: string): Promise<RouteTarget[]>;
}

export interface RouterDeps {
  directory: Directory;
  registrations: RegistrationLookup;
  trunkAttemptTimeoutSec: number;
}

/** For callers that pass no call logger (unit tests). */
const SILENT = pino({ level: 'silent' });

export interface RouteDecision {
  /** The account whose callflow or resources route the call. */
  accountId: string;
  number: string;
  /** Who is rung; absent when the flow ends in its answer-first steps (nobody to call). */
  callee?: Callee;
  /** Empty when nobody is rung: the call ends after its answer-first steps. */
  stages: Stage[];
  callflow?: CallflowInfo;
  /** record_call nodes met before the routing module, for the recording part. */
  actions: FlowAction[];
  /**
   * Steps run with the caller answered before anyone is rung (record_caller before the routing
   * module, or ending the flow: Kazoo's cf_record_caller answers, records, then continues).
   */
  answerFirst: FlowAction[];
  /** Where the callflow continues when this routing module fails (Kazoo's child `_`). */
  fallback?: CallflowNode;
  /** How the callflow matched (a pattern's capture group is what `resources` dials). */
  match?: CallflowMatch;
}

/** The numbers an INVITE dials: the Request-URI user, then the To user when it differs (trunks). */
export function dialledNumbers(requestUri: string, toUri: string | undefined): string[] {
  const out: string[] = [];
  for (const uri of [requestUri, toUri]) {
    if (uri === undefined) continue;
    const bare = uri.trim().replace(/^[^<]*</, '');
    // A sip: URI without a user part dials nothing (its host is not a number).
    if (/^sips?:/i.test(bare) && !/^sips?:[^@>;]+@/i.test(bare)) continue;
    const n = dialledNumber(bare);
    if (n !== '' && !out.includes(n)) out.push(n);
  }
  return out;
}

export class Router {
  constructor(private readonly d: RouterDeps) {}

  /** `log` is the call's logger (refused targets are warned about there, with the call-id). */
  async route(caller: Caller, numbers: readonly string[], log: Logger = SILENT): Promise<RouteDecision> {
    if (numbers.length === 0) throw new NoRouteError('', 'no dialled number');
    return caller.kind === CallerKind.Device ? this.fromDevice(caller.account.id, numbers[0], log) : this.fromTrunk(caller.account.id, numbers, log);
  }

  /** Onnet caller: the account's callflow, else offnet when a resource matches, else 404. */
  private async fromDevice(accountId: string, number: string, log: Logger): Promise<RouteDecision> {
    const match = await lookupCallflow(this.d.directory, accountId, number);
    if (match) return this.execute(accountId, number, match, log);
    const resources = matchingResources(await this.d.directory.resourcesOfAccount(accountId), number);
    if (resources.length === 0) throw new NoRouteError(number);
    return this.offnet(accountId, number, resources, []);
  }

  /**
   * Offnet caller: the DID against the trunk's own account (numbers and patterns), then against
   * every account's numbers (a DID belongs to one account). Trunk calls never go back offnet
   * through a no-match: that would make the B2BUA an open relay between carriers.
   */
  private async fromTrunk(trunkAccountId: string, numbers: readonly string[], log: Logger): Promise<RouteDecision> {
    for (const number of numbers) {
      const own = await lookupCallflow(this.d.directory, trunkAccountId, number);
      if (own) return this.execute(trunkAccountId, number, own, log);
      const any = await this.d.directory.callflowByNumberAnyAccount(number);
      if (any) {
        // The trunk's own account was checked when the INVITE was admitted; the DID's owner
        // may be another account, suspended (itself or an ancestor disabled).
        if ((await this.d.directory.accountById(any.account_id))?.enabled === false) {
          log.info({ account_id: any.account_id, number }, 'call to a disabled account refused');
          throw new AccountDisabledError(any.account_id);
        }
        return this.execute(any.account_id, number, { callflow: any, kind: MatchKind.Number }, log);
      }
    }
    throw new NoRouteError(numbers[0], 'no account owns the number');
  }

  /**
   * A registered device as a caller (the transferor of a REFER from a called phone): its
   * account and owner route what it dials. Undefined when it is gone or disabled.
   */
  async deviceCaller(deviceId: string): Promise<Caller | undefined> {
    const device = await this.d.directory.deviceById(deviceId);
    if (!device || device.enabled === false) return undefined;
    const account = await this.d.directory.accountById(device.account_id);
    if (!account || account.enabled === false) return undefined;
    const user = device.owner_id !== undefined ? await this.d.directory.userById(device.owner_id) : undefined;
    const owner = user?.account_id === device.account_id ? user : undefined;
    return { kind: CallerKind.Device, account, device, ...(owner ? { owner } : {}) };
  }

  /**
   * A trunk of `accountId` as a caller (the transferor of a REFER from a carrier that was
   * called): routed as the carrier's calls are, never back offnet. Undefined when it is gone.
   */
  async trunkCaller(accountId: string, resourceId: string, sourceAddress: string): Promise<Caller | undefined> {
    const resource = (await this.d.directory.resourcesOfAccount(accountId)).find((r) => r.id === resourceId);
    const account = resource ? await this.d.directory.accountById(accountId) : undefined;
    if (!resource || !account || account.enabled === false) return undefined;
    return { kind: CallerKind.Trunk, account, resource, sourceAddress };
  }

  /**
   * The decision for the callflow's continuation after `previous` failed, or undefined when the
   * flow ends there (the caller then gets the failure).
   */
  async fallback(previous: RouteDecision, log: Logger = SILENT): Promise<RouteDecision | undefined> {
    if (!previous.fallback || !previous.match) return undefined;
    return this.execute(previous.accountId, previous.number, previous.match, log, previous.fallback);
  }

  /**
   * Tenancy at call time: a callflow rings only its own account's devices and users, whatever
   * the store holds (a document written before the API checked references, or written to the
   * store directly). Anything else is refused as an unusable target, with a warn line.
   */
  private foreign(log: Logger, cf: CallflowInfo, kind: 'device' | 'user', target: DeviceInfo | UserInfo): boolean {
    if (target.account_id === cf.account_id) return false;
    log.warn({ callflow_id: cf.id, account_id: cf.account_id, [`${kind}_id`]: target.id, target_account_id: target.account_id },
      `callflow names another account's ${kind}: refused`);
    return true;
  }

  private async execute(accountId: string, number: string, match: CallflowMatch, log: Logger, from?: CallflowNode): Promise<RouteDecision> {
    const cf = match.callflow;
    const step = walkFlow(from ?? cf.flow);
    const { actions, answerFirst } = splitActions(step.actions);
    if (!step.ok) {
      // A flow ending in record_caller (a greeting, a voicemail box) rings nobody: the caller
      // is answered, recorded, and hung up on (cf_record_caller with no child).
      if (endsInRecordCaller(step)) return { accountId, number, callflow: cf, match, actions, answerFirst, stages: [] };
      throw new BadCallflowError(cf.id, step.reason);
    }
    const more = { match, answerFirst, ...(step.next ? { fallback: step.next } : {}) };
    // Kazoo's device/user `timeout` (seconds of ringing) bounds the stage so the flow can go on.
    const ringFor = typeof step.data.timeout === 'number' && step.data.timeout > 0 ? { timeoutSec: step.data.timeout } : {};
    const run = async (): Promise<RouteDecision> => {
      const id = typeof step.data.id === 'string' ? step.data.id : undefined;
      switch (step.module) {
        case RouteModule.Device: {
          if (!id) throw new BadCallflowError(cf.id, 'device module without data.id');
          const device = await this.d.directory.deviceById(id);
          if (!device || device.enabled === false || this.foreign(log, cf, 'device', device)) throw new UnusableTargetError(number, `device ${id}`);
          const user = device.owner_id !== undefined ? await this.d.directory.userById(device.owner_id) : undefined;
          // Another tenant's user named as owner (an old document) lends the device no settings.
          const owner = user?.account_id === device.account_id ? user : undefined;
          const targets = await this.deviceTargets([device]);
          if (targets.length === 0) throw new NotRegisteredError(`device ${id}`);
          return {
            accountId, number, callflow: cf, actions, ...more,
            callee: { kind: CalleeKind.Device, device, ...(owner ? { owner } : {}) },
            stages: [{ targets, failover: false, ...ringFor }],
          };
        }
        case RouteModule.User: {
          if (!id) throw new BadCallflowError(cf.id, 'user module without data.id');
          const user = await this.d.directory.userById(id);
          if (!user || user.enabled === false || this.foreign(log, cf, 'user', user)) throw new UnusableTargetError(number, `user ${id}`);
          // A device of another account claiming this user as owner must not take its calls.
          const devices = (await this.d.directory.devicesByOwner(id)).filter((d) => d.enabled !== false && !this.foreign(log, cf, 'device', d));
          const targets = await this.deviceTargets(devices);
          if (targets.length === 0) throw new NotRegisteredError(`user ${id}`);
          return {
            accountId, number, callflow: cf, actions, ...more,
            callee: { kind: CalleeKind.User, user },
            stages: [{ targets, failover: false, ...ringFor }],
          };
        }
        case RouteModule.Resources: {
          // Like Kazoo's resources module: a pattern's capture group is the number to send out
          // (`^9(\d+)$` strips an outside-line prefix); data.to_did overrides both.
          const toDid = typeof step.data.to_did === 'string' && step.data.to_did !== '' ? step.data.to_did : undefined;
          const out = toDid ?? (match.kind === MatchKind.Pattern && match.captureGroup ? match.captureGroup : number);
          const resources = matchingResources(await this.d.directory.resourcesOfAccount(accountId), out);
          if (resources.length === 0) throw new NoRouteError(out, 'no resource rule matches');
          return { ...this.offnet(accountId, out, resources, actions, cf), ...more };
        }
      }
    };
    try {
      return await run();
    } catch (err) {
      // An unregistered or unusable device or user fails its module at once; Kazoo then goes on
      // with `_` (cf_device / cf_user continue when no endpoint can be built). The record
      // actions met before the failed module still apply: they run before it in Kazoo.
      if ((err instanceof NotRegisteredError || err instanceof UnusableTargetError) && step.next) {
        const rest = await this.execute(accountId, number, match, log, step.next);
        return { ...rest, actions: [...actions, ...rest.actions], answerFirst: [...answerFirst, ...rest.answerFirst] };
      }
      throw err;
    }
  }

  private offnet(accountId: string, number: string, resources: ResourceInfo[], actions: FlowAction[], callflow?: CallflowInfo): RouteDecision {
    return {
      accountId, number, actions, answerFirst: [], ...(callflow ? { callflow } : {}),
      callee: { kind: CalleeKind.Resource, number, resources },
      stages: resourceStages(resources, number, this.d.trunkAttemptTimeoutSec),
    };
  }

  /** Every registered contact of the devices, rung together; a contact is rung once. */
  private async deviceTargets(devices: readonly DeviceInfo[]): Promise<Target[]> {
    const lists = await Promise.all(devices.map((d) => this.d.registrations.deviceTargets(d.id)));
    const seen = new Set<string>();
    const out: Target[] = [];
    for (const t of lists.flat()) {
      const key = `${t.uri}|${t.proxy}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ kind: TargetKind.Device, uri: t.uri, proxy: t.proxy, ...(t.route !== undefined ? { route: t.route } : {}), deviceId: t.deviceId });
    }
    return out;
  }
}
