import type { RedisState } from './redis';

/**
 * Which nodes are alive and where their API answers, so a node can reach another one (the
 * channels API reaching a call's owner, service/peers.ts). Each node writes its entry and
 * refreshes it every third of `ttlSec`; a node that dies disappears within `ttlSec`.
 */
export interface NodeInfo {
  id: string;
  /** Base URL of the node's API as the other nodes reach it. */
  api: string;
}

export interface NodeRegistry {
  readonly self: NodeInfo;
  /** Writes this node's entry (once the API answers; then kept fresh by a timer). */
  announce(): Promise<void>;
  /** The live nodes, this one included. */
  list(): Promise<NodeInfo[]>;
  get(id: string): Promise<NodeInfo | undefined>;
  close(): Promise<void>;
}

/** One node: only itself. */
export class MemoryNodeRegistry implements NodeRegistry {
  constructor(readonly self: NodeInfo) {}

  async announce(): Promise<void> {
    // nobody to tell
  }

  async list(): Promise<NodeInfo[]> {
    return [this.self];
  }

  async get(id: string): Promise<NodeInfo | undefined> {
    return id === this.self.id ? this.self : undefined;
  }

  async close(): Promise<void> {
    // nothing to stop
  }
}

/** `<prefix>node:<id>` = NodeInfo JSON with a TTL, and the set `<prefix>nodes` of ids. */
export class RedisNodeRegistry implements NodeRegistry {
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly s: RedisState, readonly self: NodeInfo, private readonly ttlSec: number) {
    this.timer = setInterval(() => { this.announce().catch(() => undefined); }, Math.max(1000, (ttlSec * 1000) / 3));
    this.timer.unref();
  }

  /** A failure is retried at the next tick of the timer. */
  async announce(): Promise<void> {
    await this.s.run('node announce', (r) => r.multi()
      .set(this.s.key('node', this.self.id), JSON.stringify(this.self), 'EX', this.ttlSec)
      .sadd(this.s.key('nodes'), this.self.id)
      .exec());
  }

  async list(): Promise<NodeInfo[]> {
    const ids = await this.s.run('node list', (r) => r.smembers(this.s.key('nodes')));
    if (ids.length === 0) return [];
    const values = await this.s.run('node list', (r) => r.mget(...ids.map((id) => this.s.key('node', id))));
    const gone = ids.filter((_, i) => values[i] === null);
    // Nodes whose entry expired leave the set (they announce themselves again if they come back).
    if (gone.length > 0) await this.s.run('node list', (r) => r.srem(this.s.key('nodes'), ...gone));
    return values.flatMap((v) => (v === null ? [] : [JSON.parse(v) as NodeInfo]));
  }

  async get(id: string): Promise<NodeInfo | undefined> {
    const v = await this.s.run('node get', (r) => r.get(this.s.key('node', id)));
    return v === null ? undefined : JSON.parse(v) as NodeInfo;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // A clean stop leaves at once instead of after the TTL.
    await this.s.run('node leave', (r) => r.multi().del(this.s.key('node', this.self.id)).srem(this.s.key('nodes'), this.self.id).exec()).catch(() => undefined);
  }
}
