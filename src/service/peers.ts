import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChannelPeers } from '../api/routes/channels';
import { NodeUnreachableError } from '../api/errors';
import type { CallDirectory, NodeInfo, NodeRegistry } from '../state';
import { isJsonObject, type JsonObject } from '../store';

/**
 * The channels API across nodes. A call lives on one node (its dialogs, media and recorder);
 * the live-call directory (Redis) says which, the node registry where that node's API answers.
 * A request about a call another node owns is sent there over HTTP with the caller's own
 * X-Auth-Token (tokens are shared in Redis, so the owner checks the same rights) and a header
 * marking it forwarded (the owner answers from its own calls, never forwards again). Each
 * hop is bounded by `timeoutMs`.
 */
export const FORWARDED_HEADER = 'x-b2bua-forwarded-by';

export interface PeerOptions {
  nodes: NodeRegistry;
  calls: CallDirectory;
  timeoutMs: number;
  logger: Logger;
}

export class ClusterPeers implements ChannelPeers {
  constructor(private readonly o: PeerOptions) {}

  forwarded(request: FastifyRequest): boolean {
    return request.headers[FORWARDED_HEADER] !== undefined;
  }

  async listElsewhere(token: string, accountId: string): Promise<JsonObject[]> {
    const others = (await this.o.nodes.list()).filter((n) => n.id !== this.o.nodes.self.id);
    const lists = await Promise.all(others.map(async (n) => {
      try {
        const r = await this.send(n, 'GET', `/v2/accounts/${encodeURIComponent(accountId)}/channels`, token);
        const data = isJsonObject(r.body) ? r.body['data'] : undefined;
        return r.status === 200 && Array.isArray(data) ? data.filter(isJsonObject) : [];
      } catch (err) {
        // A node that does not answer is left out of the list (its calls are unreachable anyway).
        this.o.logger.warn({ err, node: n.id }, 'channels: a node did not answer the list');
        return [];
      }
    }));
    return lists.flat();
  }

  async forward(request: FastifyRequest, callId: string): Promise<{ status: number; body: unknown } | undefined> {
    const owner = await this.o.calls.ownerOf(callId);
    if (owner === undefined || owner === this.o.nodes.self.id) return undefined;
    const node = await this.o.nodes.get(owner);
    // The owner left the registry (died): its calls are gone with it.
    if (!node) return undefined;
    try {
      return await this.send(node, request.method, request.url, request.auth?.token ?? '', request.body);
    } catch (err) {
      this.o.logger.warn({ err, node: owner, callId }, 'channels: the owning node did not answer');
      throw new NodeUnreachableError(owner);
    }
  }

  private async send(node: NodeInfo, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(new URL(path, node.api), {
      method,
      headers: {
        'content-type': 'application/json',
        'x-auth-token': token,
        [FORWARDED_HEADER]: this.o.nodes.self.id,
      },
      ...(body !== undefined && method !== 'GET' ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    return { status: res.status, body: await res.json() as unknown };
  }
}
