import type { CallflowNode, GatewayInfo, ResourceInfo } from '../directory/types';
import { compilePattern } from './patterns';

/**
 * Pure routing arithmetic: where a call goes once the callflow (or the account's resources)
 * has been chosen. No I/O here; router.ts fetches the documents and registrations.
 */

export enum TargetKind {
  Device = 'device',
  Resource = 'resource',
}

/** One INVITE to send (one B-leg attempt). */
export interface Target {
  kind: TargetKind;
  /** Request-URI. */
  uri: string;
  /** Where to send it when it differs from the Request-URI's host (a registration's received address). */
  proxy?: string;
  /** Route header for a contact registered through an edge proxy (its Path, RFC 3327 6). */
  route?: string;
  deviceId?: string;
  resourceId?: string;
  /** `host:port` of the gateway, for logs. */
  gateway?: string;
}

/**
 * Targets rung in parallel (first 2xx wins, the rest are CANCELled). Stages run in order: the
 * next one starts only when every target of this one failed with a status that allows failover.
 */
export interface Stage {
  targets: Target[];
  /** Per-stage bound (trunk attempts); the call's no-answer timer bounds the whole ringing. */
  timeoutSec?: number;
  /** True when a failure of this stage may move on to the next (trunk failover). */
  failover: boolean;
}

/** Callflow modules that only annotate the call before routing continues with child `_`. */
export enum ActionModule {
  RecordCall = 'record_call',
  RecordCaller = 'record_caller',
}

export enum RouteModule {
  Device = 'device',
  User = 'user',
  Resources = 'resources',
}

export interface FlowAction {
  module: ActionModule;
  data: Record<string, unknown>;
}

export type FlowStep =
  | {
    ok: true; module: RouteModule; data: Record<string, unknown>; actions: FlowAction[];
    /** The routing node's default child: Kazoo continues there when the module fails (no answer, busy). */
    next?: CallflowNode;
  }
  | { ok: false; reason: string; actions: FlowAction[] };

const NO_ROUTING_MODULE = 'flow ends without a routing module';

/**
 * Pure: the record nodes split by when they act: record_call on the call once it is routed
 * (the recording part), record_caller before anyone is rung (call control answers the caller).
 */
export function splitActions(actions: readonly FlowAction[]): { actions: FlowAction[]; answerFirst: FlowAction[] } {
  return {
    actions: actions.filter((a) => a.module !== ActionModule.RecordCaller),
    answerFirst: actions.filter((a) => a.module === ActionModule.RecordCaller),
  };
}

/** Pure: a flow without a routing module whose last node is record_caller (nobody to ring). */
export function endsInRecordCaller(step: FlowStep): boolean {
  return !step.ok && step.reason === NO_ROUTING_MODULE && step.actions.at(-1)?.module === ActionModule.RecordCaller;
}

const ROUTE_MODULES = new Set<string>(Object.values(RouteModule));
const ACTION_MODULES = new Set<string>(Object.values(ActionModule));
/** Bound on flow depth: a document cannot make the walk loop (children are a tree, but be safe). */
const MAX_DEPTH = 32;

/**
 * Walks a Kazoo flow from its root: `record_call` / `record_caller` nodes are collected as
 * actions (the recording part acts on them) and the walk follows their default child `_`;
 * the first routing module ends the walk.
 */
export function walkFlow(root: CallflowNode): FlowStep {
  const actions: FlowAction[] = [];
  let node: CallflowNode | undefined = root;
  for (let depth = 0; node && depth < MAX_DEPTH; depth++) {
    const data = node.data ?? {};
    if (ROUTE_MODULES.has(node.module)) {
      const next = node.children?.['_'];
      return { ok: true, module: node.module as RouteModule, data, actions, ...(next ? { next } : {}) };
    }
    if (!ACTION_MODULES.has(node.module)) return { ok: false, reason: `unsupported module ${node.module}`, actions };
    actions.push({ module: node.module as ActionModule, data });
    node = node.children?.['_'];
  }
  return { ok: false, reason: node ? 'flow too deep' : NO_ROUTING_MODULE, actions };
}

/**
 * True when one of the resource's rules matches the number. A resource without rules matches
 * nothing: an unconfigured trunk must not silently take every call.
 */
export function matchesRules(rules: readonly string[], number: string): boolean {
  return rules.some((r) => compilePattern(r)?.test(number) === true);
}

/** The account's resources that would carry `number`, cheapest first (stable for equal weights). */
export function matchingResources(resources: readonly ResourceInfo[], number: string): ResourceInfo[] {
  return resources
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.enabled !== false && matchesRules(r.rules, number) && r.gateways.some((g) => g.enabled !== false))
    .sort((a, b) => (a.r.weight_cost ?? 50) - (b.r.weight_cost ?? 50) || a.i - b.i)
    .map(({ r }) => r);
}

/** The Request-URI for a number sent through a gateway (prefix prepended, transport kept). */
export function gatewayUri(gw: GatewayInfo, number: string): string {
  const port = gw.port !== undefined ? `:${gw.port}` : '';
  const transport = gw.transport === 'tcp' || gw.transport === 'tls' ? `;transport=${gw.transport}` : '';
  return `sip:${gw.prefix ?? ''}${number}@${gw.server}${port}${transport}`;
}

/** One stage per enabled gateway, in resource order then gateway order: sequential failover. */
export function resourceStages(resources: readonly ResourceInfo[], number: string, timeoutSec: number): Stage[] {
  const stages: Stage[] = [];
  for (const r of resources) {
    for (const gw of r.gateways) {
      if (gw.enabled === false) continue;
      stages.push({
        failover: true,
        timeoutSec,
        targets: [{
          kind: TargetKind.Resource, uri: gatewayUri(gw, number), resourceId: r.id,
          gateway: `${gw.server}:${gw.port ?? 5060}`,
        }],
      });
    }
  }
  return stages;
}

/**
 * Whether a trunk's failure lets the call move on to the next trunk: server errors (5xx) and
 * 408 / no final answer do; 6xx is global (RFC 3261 21.6: "the callee's end system ... has
 * definitive information") and other 4xx are about the call itself (busy, not found), so they
 * end the call.
 */
export function allowsFailover(status: number): boolean {
  return (status >= 500 && status < 600) || status === 408;
}

/**
 * The final response to relay when every fork failed (RFC 3261 16.7 step 6, as a forking proxy
 * chooses): a 6xx wins; otherwise the lowest class, and within it the first one received,
 * except that a 408 (our own timeout) counts after any real answer of its class.
 */
export function bestFailure(statuses: readonly number[]): number {
  if (statuses.length === 0) return 480;
  const six = statuses.find((s) => s >= 600);
  if (six !== undefined) return six;
  let best: number | undefined;
  for (const s of statuses) {
    if (best === undefined) { best = s; continue; }
    const cls = Math.floor(s / 100);
    const bestCls = Math.floor(best / 100);
    if (cls < bestCls || (cls === bestCls && best === 408 && s !== 408)) best = s;
  }
  return best ?? 480;
}
