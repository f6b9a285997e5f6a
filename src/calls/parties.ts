import type { RecordingParty } from '../delivery';
import { CalleeKind, CallerKind, type Callee, type Caller } from '../signalling/direction';
import type { Target } from './plan';

/**
 * Every party a call reached, in the order they joined: the caller, the callee that answered,
 * and each party a transfer put in a leaving party's place (Kazoo's recording follows a
 * transfer, `should_follow_transfer`, so its metadata must say who was in the file when).
 */

/**
 * One party: its side (a transfer's new party takes the leaving party's side), how it joined
 * (the call, a blind transfer, an attended one), number, device / owner / trunk, joined and left
 * (epoch ms). The shape the recording metadata stores, so it is handed over as it is.
 */
export type Party = RecordingParty;
export type PartyRole = Party['role'];
export type PartyJoin = Party['joined'];

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
