import type { FastifyRequest } from 'fastify';
import { Network, recordingsForCall, type EndpointDocs } from '../../policy';
import type { CallRecording } from '../../policy/settings-schema';
import type { AccountDoc, StoredDoc } from '../../store';
import { accessAccount, readOwned, type ApiContext } from '../context';
import { sendSuccess } from '../envelope';
import type { ApiRouteModule } from '../server';

/**
 * `GET /v2/accounts/{A}/call_recording/preview?caller_device_id=&callee_device_id=` (not in
 * Kazoo): what the recording policy (src/policy, the code calls use) decides for each call type
 * of the spec's tables — caller onnet/offnet x callee onnet/offnet — with the account's settings
 * and, for an onnet side, the named device and its owner. Each answer lists the recordings that
 * would start, by whom (account, or the caller's / callee's endpoint), with their origin, format
 * and URL. A device of another account is a 404 as everywhere. System defaults (recorder
 * section) are not applied here: format and rates are the policy's (Kazoo's) defaults.
 */

function recordingOf(doc: StoredDoc): CallRecording | undefined {
  return doc['call_recording'] as CallRecording | undefined;
}

async function endpointOf(ctx: ApiContext, account: AccountDoc, deviceId: string | undefined): Promise<EndpointDocs | undefined> {
  if (deviceId === undefined || deviceId === '') return undefined;
  const device = await readOwned(ctx, 'devices', account, deviceId);
  const ownerId = typeof device['owner_id'] === 'string' ? device['owner_id'] : undefined;
  const cr = recordingOf(device);
  const out: EndpointDocs = { device: { id: device._id, ...(ownerId ? { owner_id: ownerId } : {}), ...(cr ? { call_recording: cr } : {}) } };
  if (ownerId !== undefined) {
    const user = await readOwned(ctx, 'users', account, ownerId).catch(() => undefined);
    const ucr = user ? recordingOf(user) : undefined;
    if (user) out.user = { id: user._id, ...(ucr ? { call_recording: ucr } : {}) };
  }
  return out;
}

export const recordingPreviewRoute: ApiRouteModule = (app, ctx) => {
  app.get('/v2/accounts/:accountId/call_recording/preview', async (request: FastifyRequest<{ Params: { accountId: string }; Querystring: { caller_device_id?: string; callee_device_id?: string } }>, reply) => {
    const account = await accessAccount(ctx, request, request.params.accountId);
    const caller = await endpointOf(ctx, account, request.query.caller_device_id);
    const callee = await endpointOf(ctx, account, request.query.callee_device_id);
    const cr = account['call_recording'] as AccountDoc['call_recording'];
    const policyAccount = { id: account._id, ...(cr ? { call_recording: cr } : {}) } as Parameters<typeof recordingsForCall>[0]['account'];
    const rows = [];
    for (const from of [Network.Onnet, Network.Offnet]) {
      for (const to of [Network.Onnet, Network.Offnet]) {
        const planned = recordingsForCall({
          direction: { caller: from, callee: to }, account: policyAccount,
          ...(caller ? { callerEndpoint: caller } : {}), ...(callee ? { calleeEndpoint: callee } : {}),
        });
        rows.push({
          caller: from, callee: to,
          recordings: planned.map((p) => ({
            by: p.kind === 'account' ? 'account' : `${p.role ?? ''} endpoint`, origin: p.origin, direction: p.direction, network: p.network,
            ...(p.endpointId ? { endpoint_id: p.endpointId } : {}), format: p.settings.format, url: p.settings.url ?? null,
          })),
        });
      }
    }
    return sendSuccess(request, reply, rows);
  });
};
