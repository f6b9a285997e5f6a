import type { CallflowNode } from '../directory/types';

/**
 * Walking a Kazoo flow tree for a call. Modules that act on the call and then continue
 * (record_call, record_caller) are collected in order; the first module that connects the call
 * somewhere (device, user, resources) ends the walk. Children are followed through the default
 * branch `_`, as Kazoo does when a module finishes without a specific outcome.
 */

export const ACTION_MODULES = ['record_call', 'record_caller'] as const;
export type ActionModule = (typeof ACTION_MODULES)[number];
export const TERMINAL_MODULES = ['device', 'user', 'resources'] as const;
export type TerminalModule = (typeof TERMINAL_MODULES)[number];

export interface FlowAction {
  module: ActionModule;
  data: Record<string, unknown>;
}

export interface FlowTerminal {
  module: TerminalModule;
  data: Record<string, unknown>;
  /** The node's children, for outcomes after the terminal (e.g. `_` when a device does not answer). */
  children?: Record<string, CallflowNode>;
}

export interface FlowPlan {
  actions: FlowAction[];
  /** Undefined when the flow ends without connecting the call anywhere. */
  terminal?: FlowTerminal;
  /** Modules met that this product does not implement (skipped, logged by the caller). */
  skipped: string[];
}

const isAction = (m: string): m is ActionModule => (ACTION_MODULES as readonly string[]).includes(m);
const isTerminal = (m: string): m is TerminalModule => (TERMINAL_MODULES as readonly string[]).includes(m);

/** Bounded so a malformed (very deep) document cannot stall the call path. */
const MAX_DEPTH = 64;

export function planFlow(flow: CallflowNode): FlowPlan {
  const plan: FlowPlan = { actions: [], skipped: [] };
  let node: CallflowNode | undefined = flow;
  for (let depth = 0; node && depth < MAX_DEPTH; depth++) {
    if (isTerminal(node.module)) {
      plan.terminal = { module: node.module, data: node.data, ...(node.children ? { children: node.children } : {}) };
      return plan;
    }
    if (isAction(node.module)) plan.actions.push({ module: node.module, data: node.data });
    else plan.skipped.push(node.module);
    node = node.children?._;
  }
  return plan;
}
