import Redis from 'ioredis';
import type { Logger } from 'pino';
import { redactUrl } from '../delivery/url';
import { StateUnavailableError } from './errors';

export interface RedisStateOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  logger: Logger;
  /** Told when the connection goes down (false) and comes back (true). */
  onStatus?: (up: boolean) => void;
  /** Told of each operation that failed as unavailable. */
  onUnavailable?: () => void;
}

/**
 * One Redis connection shared by every Redis-backed store of a node. Every command has a
 * timeout (ioredis `commandTimeout`) and nothing is queued while the connection is down
 * (`enableOfflineQueue: false`): a REGISTER during an outage fails at once with
 * StateUnavailableError instead of waiting for a reconnect. ioredis reconnects by itself; the
 * outage is logged once when it starts and once when it ends, not per failed command.
 */
export class RedisState {
  readonly redis: Redis;
  readonly prefix: string;
  private down = false;
  private closed = false;
  private readonly where: string;

  constructor(private readonly o: RedisStateOptions) {
    this.prefix = o.keyPrefix;
    this.where = redactUrl(o.url);
    this.redis = new Redis(o.url, {
      lazyConnect: true,
      commandTimeout: o.commandTimeoutMs,
      connectTimeout: o.commandTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Reconnect quickly at first, then every 2 s at most, for as long as the node lives.
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    this.redis.on('error', (err: Error) => this.outage(err.message));
    this.redis.on('end', () => this.outage('connection closed'));
    this.redis.on('close', () => this.outage('connection closed'));
    this.redis.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      o.logger.info({ redis: this.where }, 'redis reachable again');
      o.onStatus?.(true);
    });
  }

  /** Connects (bounded by commandTimeoutMs); a start step. */
  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      // Stop the reconnect loop: the service will not start without its state.
      this.redis.disconnect();
      throw new StateUnavailableError(`connect ${this.where}`, err);
    }
  }

  /**
   * Runs one operation; connection loss and timeouts become StateUnavailableError. Errors
   * Redis itself answered (a script error: a bug) pass through unchanged.
   */
  async run<T>(operation: string, fn: (r: Redis) => Promise<T>): Promise<T> {
    try {
      return await fn(this.redis);
    } catch (err) {
      if (err instanceof Error && err.name === 'ReplyError') throw err;
      this.o.onUnavailable?.();
      throw new StateUnavailableError(operation, err);
    }
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private outage(reason: string): void {
    if (this.down || this.closed) return;
    this.down = true;
    this.o.onStatus?.(false);
    this.o.logger.error({ redis: this.where, reason }, 'redis unreachable: shared state fails until it is back');
  }
}
