/**
 * Leases: work that must run on one node of the cluster at a time (a provider registration)
 * is done by the node holding its lease. `hold` takes a free lease or extends one this node
 * holds, for `ttlMs`; a node that dies stops extending, so its leases fall free `ttlMs` after
 * its last extension and another node's next `hold` takes them.
 */
export interface Leases {
  /** This node's id (the holder written in the lease). */
  readonly nodeId: string;
  /** true when this node holds the lease for the next `ttlMs` (taken now or extended). */
  hold(name: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if this node holds it (a clean stop lets another node take it at once). */
  release(name: string): Promise<void>;
}

/** One node: every lease is its own. */
export class MemoryLeases implements Leases {
  constructor(readonly nodeId: string) {}

  async hold(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {
    // nothing is shared
  }
}
