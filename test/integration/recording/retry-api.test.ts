/**
 * Retrying a failed recording through the API: the receiver refuses every upload until the
 * (tiny) retry horizon makes the recording failed; the list shows why; the receiver is fixed and
 * `POST .../recordings/{id}` `{"action":"retry"}` puts it back in the service's real delivery
 * queue, which uploads it. Refusals: unknown and other accounts' ids (404), bad action (400),
 * a recording that is not failed (409).
 */
import t from 'tap';
import type { JsonObject } from '../../../src/store';
import { makeRecording, meta, workDirs } from '../delivery/common';
import { apiClient, jsonOf, startRecordingEnv, type Envelope } from './setup';

t.test('a failed recording is retried through the API and uploaded', async (t) => {
  const env = await startRecordingEnv({ config: { delivery: { horizonMs: 500, backoffBaseMs: 50, backoffMaxMs: 100 } } });
  t.teardown(() => env.close());
  const { svc, upload, w } = env;
  const queue = svc.service.recordings?.queue;
  if (!queue) throw new Error('service without recordings');
  const api = await apiClient(svc);
  const json = jsonOf;
  const base = `/v2/accounts/${w.accountId}/recordings`;

  upload.answerWith(403);
  const { src } = await workDirs();
  const file = await makeRecording(src, 4000);
  const rec = await queue.enqueue({ filePath: file.path, meta: meta(`${upload.url}/rec`, { accountId: w.accountId }) });
  let listed: JsonObject | undefined;
  const end = Date.now() + 15_000;
  while (listed?.['status'] !== 'failed') {
    if (Date.now() > end) throw new Error(`recording not failed in time: ${JSON.stringify(listed)}`);
    await new Promise((r) => setTimeout(r, 50));
    listed = ((await json(api(base))).body.data as unknown as JsonObject[]).find((d) => d['id'] === rec.id);
  }
  t.ok(upload.requests.length >= 1 && upload.delivered().length === 0, 'the receiver refused every attempt');
  t.match(listed, { status: 'failed', last_error: { code: 'horizon_reached', message: /403/ } }, 'the list says why it failed');
  t.ok('media_status' in listed && 'media_error' in listed, 'the list carries media_status and media_error');
  const failedAttempts = listed['attempts'] as number;

  t.equal((await json(api(`${base}/${'f'.repeat(32)}`, undefined, { action: 'retry' }))).status, 404, 'unknown id: 404');
  const other = await svc.store.createAccount(null, { name: 'other', realm: 'other.test', pvt_api_key: 'other-account-key' });
  const otherApi = await apiClient(svc, 'other-account-key');
  const cross = await json(otherApi(`/v2/accounts/${other._id}/recordings/${rec.id}`, undefined, { action: 'retry' }));
  t.equal(cross.status, 404, "another account's recording id: 404");
  t.equal(queue.get(rec.id)?.status, 'failed', 'and nothing was retried');
  const bad = await json(api(`${base}/${rec.id}`, undefined, { action: 'resend' }));
  t.equal(bad.status, 400);
  t.match(bad.body.data, { action: { enum: { target: ['retry'], cause: 'resend' } } }, 'unknown action: field error');

  upload.answerWith(201);
  const retried = await json(api(`${base}/${rec.id}`, undefined, { action: 'retry' }));
  t.equal(retried.status, 202, 'retry accepted');
  t.equal(retried.body.status, 'success');
  t.match(retried.body.data, { id: rec.id, call_id: rec.meta.callId, status: /^(pending|uploading)$/, last_error: { code: 'horizon_reached' } });
  await upload.waitFor(() => upload.delivered().length === 1, 10_000, 'the retried upload');
  t.same(upload.delivered()[0]?.body, file.bytes, 'the very file was uploaded');

  let one: Envelope['data'] | undefined;
  const end2 = Date.now() + 10_000;
  while (one?.['status'] !== 'uploaded') {
    if (Date.now() > end2) throw new Error(`record not uploaded in time: ${JSON.stringify(one)}`);
    await new Promise((r) => setTimeout(r, 50));
    one = (await json(api(`${base}/${rec.id}`))).body.data;
  }
  t.equal(one['attempts'], failedAttempts + 1, 'one more attempt');

  const again = await json(api(`${base}/${rec.id}`, undefined, { action: 'retry' }));
  t.equal(again.status, 409, 'an uploaded recording cannot be retried');
  t.match(again.body, { error: '409', message: 'conflict', data: { cause: 'uploaded' } });
});
