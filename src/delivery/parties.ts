import type { RecordingParty } from './types';

/** A party as the record (API), the webhook-facing record and the sidecar show it. */
export type PartyDoc = {
  role: string; joined: string; number: string | null; device_id: string | null; owner_id: string | null;
  resource_id: string | null; joined_at_ms: number; left_at_ms: number | null;
};

/** Pure: the snake_case form of a recording's parties (absent fields null, none: empty list). */
export function partiesDoc(parties: readonly RecordingParty[] | undefined): PartyDoc[] {
  return (parties ?? []).map((p) => ({
    role: p.role, joined: p.joined, number: p.number ?? null, device_id: p.deviceId ?? null, owner_id: p.ownerId ?? null,
    resource_id: p.resourceId ?? null, joined_at_ms: p.joinedAt, left_at_ms: p.leftAt ?? null,
  }));
}
