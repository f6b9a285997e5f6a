/**
 * Bounds on the server transactions a flood can make the stack hold. Every server transaction
 * lives at least until its final response and, over UDP, 64*T1 after it (Timer H / J, RFC 3261
 * 17.2), whether or not the peer ever reads a reply; so without bounds a peer sending large
 * requests it never ACKs grows the heap at will. Two counts are kept:
 * - all server transactions (`maxServerTransactions`);
 * - per source IP, the INVITE server transactions still pending: no final response yet, or a
 *   non-2xx final not yet ACKed (Proceeding and Completed). An Accepted (2xx sent) or Confirmed
 *   transaction no longer counts, so a busy trunk's answered calls do not use up its share.
 * A request over either bound gets a stateless 503 with Retry-After (RFC 3261 21.5.4) and no
 * transaction.
 */

export enum Refusal {
  Total = 'total',
  Source = 'source',
}

export interface AdmissionLimits {
  maxServerTransactions: number;
  maxPendingInvitesPerSource: number;
}

export class ServerAdmission {
  private readonly pendingBySource = new Map<string, number>();
  readonly refused: Record<Refusal, number> = { [Refusal.Total]: 0, [Refusal.Source]: 0 };

  constructor(private readonly limits: AdmissionLimits) {}

  /** Whether a new server transaction for `method` from `source` may be created, given `total` live ones. */
  check(method: string, source: string, total: number): Refusal | null {
    let r: Refusal | null = null;
    if (total >= this.limits.maxServerTransactions) r = Refusal.Total;
    else if (method === 'INVITE' && (this.pendingBySource.get(source) ?? 0) >= this.limits.maxPendingInvitesPerSource) r = Refusal.Source;
    if (r) this.refused[r]++;
    return r;
  }

  /** An INVITE server transaction from `source` was created; returns the release to call once when it stops pending. */
  holdInvite(source: string): () => void {
    this.pendingBySource.set(source, (this.pendingBySource.get(source) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const n = (this.pendingBySource.get(source) ?? 1) - 1;
      if (n <= 0) this.pendingBySource.delete(source);
      else this.pendingBySource.set(source, n);
    };
  }

  /** Pending INVITE server transactions from one source IP. */
  pendingInvitesFrom(source: string): number {
    return this.pendingBySource.get(source) ?? 0;
  }

  /** Source IPs holding at least one pending INVITE (bounded by maxServerTransactions). */
  get sources(): number {
    return this.pendingBySource.size;
  }
}
