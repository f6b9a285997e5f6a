import type { Registry } from 'prom-client';
import { accessAccount, sendSuccess, type ApiRouteModule } from '../api';
import type { RecordingsPort, RetryOutcome } from '../api/routes/recordings';
import { DeliveryStatus, type DeliveryQueue } from '../delivery';
import { recordingDoc } from '../recording';
import type { JsonValue } from '../store';

/**
 * Route modules the service adds to the Crossbar API: Prometheus metrics and the registrar's
 * view of registrations, and the delivery queue as the recordings routes see it. They live here
 * because they join two parts (api + metrics / signalling / delivery).
 */

/** `GET /metrics`, Prometheus text format. Unauthenticated like any scrape target; bind the API to loopback or firewall it. */
export function metricsRoute(registry: Registry): ApiRouteModule {
  return (app) => {
    app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    });
  };
}

export type RegistrationsSource = (accountId: string) => Promise<readonly object[]>;

/**
 * `GET /v2/accounts/{id}/registrations` (Kazoo's registrations API, read-only): the phones
 * registered to us. The same shape serves `GET /v2/accounts/{id}/resources/registrations`: our
 * own registrations to the providers of resources that ask for it (state, expiry, last error).
 */
export function registrationsRoute(source: RegistrationsSource, path = 'registrations'): ApiRouteModule {
  return (app, ctx) => {
    app.get<{ Params: { accountId: string } }>(`/v2/accounts/:accountId/${path}`, async (request, reply) => {
      const account = await accessAccount(ctx, request, request.params.accountId);
      const list = await source(account._id);
      return sendSuccess(request, reply, JSON.parse(JSON.stringify(list)) as JsonValue);
    });
  };
}

/** The recordings routes' port onto the delivery queue (the queue's journal is the truth, not the store's copy). */
export function recordingsPort(queue: DeliveryQueue, remove: RecordingsPort['remove']): RecordingsPort {
  return {
    remove,
    openFile: (id) => queue.openFile(id),
    retry: async (id): Promise<RetryOutcome> => {
      const rec = queue.get(id);
      if (!rec) return { outcome: 'unknown' };
      if (rec.status !== DeliveryStatus.Failed) return { outcome: 'not_failed', status: rec.status };
      // Nothing is awaited between the look and the requeue, so the status cannot change in between.
      return { outcome: 'retried', record: recordingDoc(await queue.requeue(id)) };
    },
  };
}
