/**
 * DELETE /v2/accounts/{A}/recordings/{R} (GDPR erasure) through the running service: file and
 * records gone, audited in the log without secrets, another account's id a 404 that deletes
 * nothing. Account `retention` and `storage` settings: field errors, and the S3 secret is
 * write-only (never in a response or the log).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import pino from 'pino';
import { makeRecording, meta, waitStatus, workDirs } from '../delivery/common';
import { API_KEY, apiClient, jsonOf, startRecordingEnv } from '../recording/setup';

t.test('deleting a recording, tenancy, audit; retention and storage settings', async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
  const env = await startRecordingEnv({ logger, config: { delivery: { keepUploaded: true } } });
  t.teardown(() => env.close());
  const { svc, upload, w } = env;
  const queue = svc.service.recordings?.queue;
  if (!queue) throw new Error('service without recordings');
  const api = await apiClient(svc);
  const json = jsonOf;
  const { src } = await workDirs();
  const file = await makeRecording(src, 5000);
  const rec = await queue.enqueue({ filePath: file.path, meta: meta(`${upload.url}/rec`, { accountId: w.accountId }) });
  await waitStatus(queue, rec.id, ['uploaded']);
  await svc.service.recordings?.flush();
  const path = queue.filePathOf(rec.id) as string;
  t.ok(existsSync(path), 'kept file in the spool');

  const other = await svc.store.createAccount(null, { name: 'other', realm: 'other.test', pvt_api_key: 'other-account-key' });
  const otherApi = await apiClient(svc, 'other-account-key');
  t.equal((await json(otherApi(`/v2/accounts/${other._id}/recordings/${rec.id}`, undefined, undefined, 'DELETE'))).status, 404, "another account's recording: 404");
  t.equal((await json(otherApi(`/v2/accounts/${w.accountId}/recordings/${rec.id}`, undefined, undefined, 'DELETE'))).status, 403, "another account's path: 403");
  t.ok(existsSync(path) && queue.get(rec.id), 'nothing deleted by those');

  const del = await json(api(`/v2/accounts/${w.accountId}/recordings/${rec.id}`, undefined, undefined, 'DELETE'));
  t.equal(del.status, 200);
  t.match(del.body.data, { id: rec.id, deleted: true, file_deleted: true });
  t.notOk(existsSync(path), 'file gone');
  t.equal(queue.get(rec.id), undefined, 'queue record gone');
  t.equal((await json(api(`/v2/accounts/${w.accountId}/recordings/${rec.id}`))).status, 404, 'record gone from the API');
  const audit = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.audit === 'recording.deleted');
  t.match(audit, { account_id: w.accountId, recording_id: rec.id, by_account_id: w.accountId, by_token_id: /^[0-9a-f]{12}$/, file_deleted: true, at: /^\d{4}-/ }, 'audit line: who, what, when');
  t.equal((await json(api(`/v2/accounts/${w.accountId}/recordings/${rec.id}`, undefined, undefined, 'DELETE'))).status, 404, 'twice: 404');

  const bad = await json(api(`/v2/accounts/${w.accountId}`, undefined, { retention: { cdr_days: 0, recordings_days: 'x', forever: 1 } }, 'PATCH'));
  t.equal(bad.status, 400);
  t.match(bad.body.data, { 'retention.cdr_days': { minimum: {} }, 'retention.recordings_days': { type: {} } }, 'field errors');
  const ok = await json(api(`/v2/accounts/${w.accountId}`, undefined, { retention: { recordings_days: 30 } }, 'PATCH'));
  t.equal(ok.status, 200);
  t.match(ok.body.data, { retention: { recordings_days: 30 } });

  const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-test';
  const s3 = { endpoint: 'https://s3.example.com', region: 'eu-west-1', access_key_id: 'AKIDEXAMPLE', secret_access_key: SECRET };
  const set = await json(api(`/v2/accounts/${w.accountId}`, undefined, { storage: { s3, sidecar: true } }, 'PATCH'));
  t.equal(set.status, 200);
  t.match(set.body.data, { storage: { s3: { access_key_id: 'AKIDEXAMPLE', region: 'eu-west-1' }, sidecar: true } });
  const again = await json(api(`/v2/accounts/${w.accountId}`, undefined, { name: 'renamed' }, 'PATCH'));
  const got = await (await api(`/v2/accounts/${w.accountId}`)).text();
  t.notOk(JSON.stringify(set.body).includes(SECRET) || JSON.stringify(again.body).includes(SECRET) || got.includes(SECRET), 'the secret is never echoed');
  t.match((await svc.store.readAccount(w.accountId))['pvt_s3_secret_access_key'], SECRET, 'kept (privately) across a later PATCH');
  t.notOk(lines.join('').includes(SECRET), 'nor logged');
  t.notOk(lines.join('').includes(API_KEY), 'no api key in the log either');
});
