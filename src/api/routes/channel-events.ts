import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAccountEnabled, type JsonObject } from '../../store';
import { accessAccount, type ApiContext } from '../context';
import { TooManyStreamsError } from '../errors';
import type { ChannelPeers, ChannelSource } from './channels';

/**
 * `GET /v2/accounts/{A}/channels/events`: the account's channel list as server-sent events
 * (WHATWG HTML §9.2), for the web page's live calls view. Not in Kazoo (whose UI listens on
 * its websocket blackhole); the token may come as `?auth_token=` because a browser's
 * EventSource cannot set X-Auth-Token. Tenancy is the channels route's (accessAccount).
 *
 * Events: `channels` with the whole list (the shape of GET .../channels) at once and whenever it
 * changes (the port is polled every `pollMs`; in a cluster the other nodes are asked too, with
 * the stream's token, one poll at a time, each node bounded by its peer timeout); a comment line every `heartbeatMs` keeps proxies
 * from timing the stream out; `expired` when the token is no longer valid, or `suspended` when
 * the token's account (or an ancestor) is disabled (checked every `accountCheckMs`, as every
 * other request of that token would be refused), then the stream ends.
 */

export interface ChannelEventsOptions {
  /** Open streams allowed per account (each polls the calls): the next one gets 429. */
  perAccount: number;
  pollMs: number;
  heartbeatMs: number;
  /** How often an open stream re-reads whether the token's account is still enabled. */
  accountCheckMs: number;
}

export const CHANNEL_EVENTS_DEFAULTS: ChannelEventsOptions = { perAccount: 8, pollMs: 1000, heartbeatMs: 15_000, accountCheckMs: 5000 };

export function registerChannelEvents(app: FastifyInstance, ctx: ApiContext, source: ChannelSource, o: ChannelEventsOptions, peers?: ChannelPeers): void {
  const open = new Map<string, number>();
  const streams = new Set<() => void>();
  // Fastify's close waits for open connections; a stream never ends by itself, so end them first.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get<{ Params: { accountId: string } }>('/v2/accounts/:accountId/channels/events', { config: { queryToken: true } }, async (request: FastifyRequest<{ Params: { accountId: string } }>, reply: FastifyReply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const accountId = account._id;
    const count = open.get(accountId) ?? 0;
    if (count >= o.perAccount) throw new TooManyStreamsError(o.perAccount);
    open.set(accountId, count + 1);
    const token = request.auth?.token ?? '';
    void reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-request-id': String(request.id),
    });
    // A reconnecting EventSource waits this long (the spec's `retry` field).
    res.write('retry: 3000\n\n');
    let last = '';
    let checkedAt = Date.now();
    /** False once the token's account or an ancestor is disabled; undefined when not due. */
    const enabled = async (tokenAccount: string): Promise<boolean | undefined> => {
      if (Date.now() - checkedAt < o.accountCheckMs) return undefined;
      checkedAt = Date.now();
      return isAccountEnabled(ctx.store, await ctx.store.readAccount(tokenAccount));
    };
    const send = async (): Promise<void> => {
      let grant;
      let suspended = false;
      try {
        grant = await ctx.tokens.check(token);
        suspended = grant !== undefined && (await enabled(grant.accountId)) === false;
      } catch {
        return; // the token store (Redis) or the store is unreachable: try again at the next poll
      }
      if (ended) return;
      if (grant === undefined || suspended) {
        res.write(`event: ${suspended ? 'suspended' : 'expired'}\ndata: {}\n\n`);
        end();
        return;
      }
      const here = source.list(accountId);
      let elsewhere: JsonObject[] = [];
      try {
        elsewhere = peers ? await peers.listElsewhere(token, accountId) : [];
      } catch {
        return; // the node registry (Redis) is unreachable: try again at the next poll
      }
      if (ended) return;
      const body = JSON.stringify([...here, ...elsewhere]);
      if (body === last) return;
      last = body;
      res.write(`event: channels\ndata: ${body}\n\n`);
    };
    // One poll at a time: asking the other nodes can take up to their timeout.
    let polling = false;
    const tick = (): void => {
      if (polling) return;
      polling = true;
      void send().finally(() => { polling = false; });
    };
    const poll = setInterval(tick, o.pollMs);
    const beat = setInterval(() => res.write(': heartbeat\n\n'), o.heartbeatMs);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(poll);
      clearInterval(beat);
      streams.delete(end);
      const n = (open.get(accountId) ?? 1) - 1;
      if (n > 0) open.set(accountId, n);
      else open.delete(accountId);
      res.end();
    };
    streams.add(end);
    request.raw.on('close', end);
    tick();
  });
}
