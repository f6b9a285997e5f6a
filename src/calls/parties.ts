import { CalleeKind, CallerKind, type Callee, type Caller } from '../signalling/direction';
import type { Target } from './plan';

/**
 * Every party a call reached, in the order they joined: the caller, the callee that answered,
 * and each party a transfer put in a leaving party's place (Kazoo's recording follows a
 * transfer, `should_follow_transfer`, so its metadata must say who was in the file when).
 */

export type PartyRole = 'caller' | 'callee';
/** How the party came in: the original call, a blind transfer (REFER), an attended one (Replaces). */
export type PartyJoin = 'call' | 'transfer' | 'attended_transfer';

export interface Party {
  /** The side of the call it holds (a transfer's new party takes the leaving party's side). */
  role: PartyRole;
  joined: PartyJoin;
  /** Its number: the caller's user part, or the number dialled to reach it. */
  number?: string;
  deviceId?: string;
  ownerId?: string;
  /** The trunk (resource) it came in or went out through. */
  resourceId?: string;
  /** Epoch ms. */
  joinedAt: number;
  leftAt?: number;
}

/** Pure: the caller as a party (`number` is its From user). */
export function callerParty(c: Caller, number: string | undefined, at: number): Party {
  return {
    role: 'caller', joined: 'call', joinedAt: at,
    ...(number !== undefined && number !== '' ? { number } : {}),
    ...(c.kind === CallerKind.Device
      ? { deviceId: c.device.id, ...(c.owner ? { ownerId: c.owner.id } : {}) }
      : { resourceId: c.resource.id }),
  };
}

/** Pure: a party reached by ringing `target` (the callee, or a transfer's new party). */
export function targetParty(role: PartyRole, joined: PartyJoin, target: Target, number: string | undefined, at: number, callee?: Callee): Party {
  const ownerId = callee?.kind === CalleeKind.Device ? callee.device.owner_id ?? callee.owner?.id
    : callee?.kind === CalleeKind.User ? callee.user.id : undefined;
  return {
    role, joined, joinedAt: at,
    ...(number !== undefined && number !== '' ? { number } : {}),
    ...(target.deviceId !== undefined ? { deviceId: target.deviceId } : {}),
    ...(ownerId !== undefined ? { ownerId } : {}),
    ...(target.resourceId !== undefined ? { resourceId: target.resourceId } : {}),
  };
}

/** The call's party list; the B2BUA appends, the recording reads snapshots. */
export class PartyLog {
  private readonly list: Party[] = [];

  join(p: Party): void {
    this.list.push(p);
  }

  /** The party holding `role` leaves (a transfer replaced it). */
  leave(role: PartyRole, at: number): void {
    const p = this.current(role);
    if (p) p.leftAt = at;
  }

  current(role: PartyRole): Party | undefined {
    return [...this.list].reverse().find((p) => p.role === role && p.leftAt === undefined);
  }

  /** Copies of the parties that joined by `until` (a recording ended earlier does not name later ones). */
  until(at: number): Party[] {
    return this.list.filter((p) => p.joinedAt <= at).map((p) => ({ ...p }));
  }
}
