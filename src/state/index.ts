import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { FailureLimiter, MemoryTokenStore, SqliteTokenStore, type AuthFailureLimiter, type TokenStore } from '../api';
import type { FrozenConfig } from '../config';
import {
  FailedAuthLimiter, MemoryBindingStore, NonceCounter, SqliteBindingStore,
  type BindingStore, type ExpiredBindings, type NonceWindow, type SipFailureLimiter,
} from '../signalling';
import { MemoryCallDirectory, type CallDirectory } from './call-directory';
import { MemoryLeases, type Leases } from './leases';
import { MemoryNodeRegistry, RedisNodeRegistry, type NodeInfo, type NodeRegistry } from './nodes';
import { RedisLeases } from './redis-leases';
import { RedisState } from './redis';
import { RedisBindingStore } from './redis-bindings';
import { RedisCallDirectory } from './redis-call-directory';
import { RedisAuthFailureLimiter, RedisSipFailureLimiter } from './redis-limiters';
import { RedisNonceWindow } from './redis-nonces';
import { RedisTokenStore } from './redis-tokens';

export { MemoryCallDirectory, type CallDirectory } from './call-directory';
export { RedisState, type RedisStateOptions } from './redis';
export { RedisBindingStore, type RedisBindingStoreOptions } from './redis-bindings';
export { RedisCallDirectory } from './redis-call-directory';
export { RedisAuthFailureLimiter, RedisSipFailureLimiter } from './redis-limiters';
export { RedisNonceWindow } from './redis-nonces';
export { RedisTokenStore } from './redis-tokens';
export { StateContendedError, StateUnavailableError } from './errors';
export { MemoryLeases, type Leases } from './leases';
export { RedisLeases } from './redis-leases';
export { MemoryNodeRegistry, RedisNodeRegistry, type NodeInfo, type NodeRegistry } from './nodes';

/** Every piece of runtime state a node needs, from `state.driver`. */
export interface State {
  readonly driver: 'memory' | 'redis';
  readonly bindings: BindingStore;
  readonly tokens: TokenStore;
  readonly sipLimiter: SipFailureLimiter;
  readonly nonces: NonceWindow;
  readonly authLimiter: AuthFailureLimiter;
  readonly calls: CallDirectory;
  /** Single-per-cluster work (provider registrations). */
  readonly leases: Leases;
  /** Live nodes and their API addresses. */
  readonly nodes: NodeRegistry;
  /** Closes every store and the Redis connection (idempotent). */
  close(): Promise<void>;
}

export interface OpenStateOptions {
  /** Told which AORs lost bindings to expiry (keeps the registrations gauge true). */
  onExpired?: (changes: ExpiredBindings) => void;
  clock?: () => number;
  /** Told when the backend goes down (false) and comes back (true). */
  onStatus?: (up: boolean) => void;
  /** Told of each operation that failed as unavailable. */
  onUnavailable?: () => void;
}

/**
 * "memory": one node's state, registrations and tokens in the store's SQLite file (they
 * survive a restart), the limiters, nonce-counts and call directory in memory. "redis": all
 * of it in Redis, shared by the nodes; the connection is made here, so a Redis that cannot
 * be reached fails the start.
 */
export async function openState(c: FrozenConfig, logger: Logger, o: OpenStateOptions = {}): Promise<State> {
  const clock = o.clock ?? Date.now;
  const nodeId = c.state.nodeId || hostname();
  const rl = c.signalling.rateLimit;
  const sipOptions = {
    maxFailures: rl.maxFailures, windowMs: rl.windowSec * 1000, blockMs: rl.blockSec * 1000,
    maxKeysPerSource: rl.maxKeysPerSource, maxEntries: rl.maxEntries,
  };
  const tokenTtlMs = c.api.tokenTtlSec * 1000;
  const self: NodeInfo = { id: nodeId, api: c.state.nodeApiUrl || `http://${c.api.host === '0.0.0.0' || c.api.host === '::' ? hostname() : c.api.host}:${c.api.port}` };
  if (c.state.driver === 'redis') {
    const redis = new RedisState({
      url: c.state.url, keyPrefix: c.state.keyPrefix, commandTimeoutMs: c.state.commandTimeoutMs, logger,
      ...(o.onStatus ? { onStatus: o.onStatus } : {}), ...(o.onUnavailable ? { onUnavailable: o.onUnavailable } : {}),
    });
    await redis.connect();
    const parts = {
      bindings: new RedisBindingStore(redis, { clock, ...(o.onExpired ? { onExpired: o.onExpired } : {}) }),
      tokens: new RedisTokenStore(redis, tokenTtlMs, clock),
      sipLimiter: new RedisSipFailureLimiter(redis, sipOptions),
      nonces: new RedisNonceWindow(redis, c.signalling.auth.nonceLifetimeSec),
      authLimiter: new RedisAuthFailureLimiter(redis, c.api.authFailureLimit, c.api.authFailureWindowSec * 1000, clock),
      calls: new RedisCallDirectory(redis, nodeId, c.state.callTtlSec),
      leases: new RedisLeases(redis, nodeId),
      nodes: new RedisNodeRegistry(redis, self, c.state.nodeTtlSec),
    };
    return { driver: 'redis', ...parts, close: closer(parts, () => redis.close()) };
  }
  // One node: registrations and tokens beside the documents in the SQLite file, so a restart
  // keeps them. With the PostgreSQL store and no Redis there is no file: they stay in memory.
  if (c.store.driver !== 'sqlite') {
    logger.warn('store.driver is postgres but state.driver is memory: registrations and tokens are kept in this process only (use state.driver "redis" for several nodes)');
  }
  const bindings: BindingStore = c.store.driver === 'sqlite'
    ? new SqliteBindingStore({ path: c.store.path, clock, ...(o.onExpired ? { onExpired: o.onExpired } : {}) })
    : new MemoryBindingStore(30_000, clock, o.onExpired);
  let tokens: TokenStore;
  try {
    tokens = c.store.driver === 'sqlite' ? new SqliteTokenStore(c.store.path, tokenTtlMs, clock) : new MemoryTokenStore(tokenTtlMs, clock);
  } catch (err) {
    await bindings.close();
    throw err;
  }
  const parts = {
    bindings, tokens,
    sipLimiter: new FailedAuthLimiter(sipOptions),
    nonces: new NonceCounter(c.signalling.auth.maxTrackedNonces),
    authLimiter: new FailureLimiter(c.api.authFailureLimit, c.api.authFailureWindowSec * 1000, clock),
    calls: new MemoryCallDirectory(nodeId),
    leases: new MemoryLeases(nodeId),
    nodes: new MemoryNodeRegistry(self),
  };
  return { driver: 'memory', ...parts, close: closer(parts, async () => undefined) };
}

function closer(parts: { bindings: BindingStore; tokens: TokenStore; calls: CallDirectory; nodes: NodeRegistry }, last: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      await Promise.allSettled([parts.calls.close(), parts.tokens.close(), parts.bindings.close(), parts.nodes.close()]);
      await last();
    })();
    return closing;
  };
}
