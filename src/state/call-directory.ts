/**
 * The live-call directory: which node owns a call (its dialogs, media and recorder live
 * there), so that any node can send a request about the call to its owner. Entries are added
 * when a call starts and removed when it ends; the Redis one also expires when its node stops
 * refreshing it (a node that died).
 */
export interface CallDirectory {
  /** This node's id, written as the owner of the calls it adds. */
  readonly nodeId: string;
  add(callId: string): Promise<void>;
  remove(callId: string): Promise<void>;
  /** The owning node's id; undefined for a call no node holds. */
  ownerOf(callId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** One node: every call is its own. */
export class MemoryCallDirectory implements CallDirectory {
  private readonly calls = new Set<string>();

  constructor(readonly nodeId: string) {}

  async add(callId: string): Promise<void> {
    this.calls.add(callId);
  }

  async remove(callId: string): Promise<void> {
    this.calls.delete(callId);
  }

  async ownerOf(callId: string): Promise<string | undefined> {
    return this.calls.has(callId) ? this.nodeId : undefined;
  }

  async close(): Promise<void> {
    this.calls.clear();
  }
}
