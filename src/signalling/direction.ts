import type { AccountInfo, DeviceInfo, ResourceInfo, UserInfo } from '../directory/types';
import { Network } from '../policy/types';

/**
 * Who is calling and who is called, and from that the call's direction as the recording
 * policy sees it: each side onnet (a device of ours) or offnet (a trunk / the outside world).
 * The network sides are the policy's own enum, so a classified call is passed to it as it is.
 */

export { Network };

export enum CallerKind {
  /** An INVITE that authenticated as one of our devices. */
  Device = 'device',
  /** An INVITE from a resource's gateway address. */
  Trunk = 'trunk',
}

export type Caller =
  | { kind: CallerKind.Device; account: AccountInfo; device: DeviceInfo; owner?: UserInfo }
  | { kind: CallerKind.Trunk; account: AccountInfo; resource: ResourceInfo; sourceAddress: string };

export enum CalleeKind {
  Device = 'device',
  User = 'user',
  /** Sent out through the account's trunks. */
  Resource = 'resource',
}

export type Callee =
  | { kind: CalleeKind.Device; device: DeviceInfo; owner?: UserInfo }
  | { kind: CalleeKind.User; user: UserInfo }
  | { kind: CalleeKind.Resource; number: string; resources?: ResourceInfo[] };

export interface Direction {
  caller: Network;
  callee: Network;
  /** `onnet_to_offnet` etc., for logs and metric labels. */
  label: DirectionLabel;
}

export type DirectionLabel = `${Network}_to_${Network}`;

export function callerNetwork(c: Pick<Caller, 'kind'>): Network {
  return c.kind === CallerKind.Device ? Network.Onnet : Network.Offnet;
}

export function calleeNetwork(c: Pick<Callee, 'kind'>): Network {
  return c.kind === CalleeKind.Resource ? Network.Offnet : Network.Onnet;
}

/** Pure: the direction of a call from its two parties. */
export function classifyDirection(caller: Pick<Caller, 'kind'>, callee: Pick<Callee, 'kind'>): Direction {
  const a = callerNetwork(caller);
  const b = calleeNetwork(callee);
  return { caller: a, callee: b, label: `${a}_to_${b}` };
}

/** Every label, for pre-creating metric series. */
export const DIRECTION_LABELS: readonly DirectionLabel[] = [
  'onnet_to_onnet', 'onnet_to_offnet', 'offnet_to_onnet', 'offnet_to_offnet',
];
