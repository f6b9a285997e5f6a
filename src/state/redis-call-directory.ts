import type { CallDirectory } from './call-directory';
import type { RedisState } from './redis';

/**
 * The live-call directory in Redis: call-id -> owning node id, with a TTL this node refreshes
 * every third of it for the calls it holds, so the entries of a node that dies vanish within
 * `ttlSec` while a live call never loses its entry (a refresh that fails during an outage is
 * retried at the next tick).
 */
export class RedisCallDirectory implements CallDirectory {
  private readonly own = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly s: RedisState, readonly nodeId: string, private readonly ttlSec: number) {
    this.timer = setInterval(() => { this.refresh().catch(() => undefined); }, Math.max(1000, (ttlSec * 1000) / 3));
    this.timer.unref();
  }

  async add(callId: string): Promise<void> {
    this.own.add(callId);
    await this.s.run('call directory add', (r) => r.set(this.key(callId), this.nodeId, 'EX', this.ttlSec));
  }

  async remove(callId: string): Promise<void> {
    this.own.delete(callId);
    await this.s.run('call directory remove', (r) => r.del(this.key(callId)));
  }

  async ownerOf(callId: string): Promise<string | undefined> {
    return (await this.s.run('call directory lookup', (r) => r.get(this.key(callId)))) ?? undefined;
  }

  /** Re-arms the TTL of every call this node holds (SET, not EXPIRE: an entry lost in an outage comes back). */
  async refresh(): Promise<void> {
    if (this.own.size === 0) return;
    const ids = [...this.own];
    await this.s.run('call directory refresh', (r) => {
      const p = r.pipeline();
      for (const id of ids) p.set(this.key(id), this.nodeId, 'EX', this.ttlSec);
      return p.exec();
    });
    // A call that ended while the refresh was in flight must not keep the entry it re-set.
    const ended = ids.filter((id) => !this.own.has(id));
    if (ended.length > 0) await this.s.run('call directory refresh', (r) => r.del(...ended.map((id) => this.key(id))));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  private key(callId: string): string {
    return this.s.key('call', callId);
  }
}
