/**
 * The metadata sidecar over HTTP: `<name>.json` follows the recording to the same place with the
 * same method; a failing sidecar fails the attempt, and the retry sends both.
 */
import t from 'tap';
import { UploadServer } from '../../helpers/upload-server';
import { DeliveryStatus } from '../../../src/delivery';
import { makeRecording, meta, startQueue, testConfig, waitStatus, workDirs } from '../delivery/common';

t.test('sidecar after the recording, retried with it', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const results: string[] = [];
  const q = await startQueue(testConfig(spool), { sidecar: async (id) => id === 'a1b2c3d4e5f60718293a4b5c6d7e8f90' });
  t.teardown(() => q.close());
  q.on('sidecar', (e) => results.push(e.result));
  const f = await makeRecording(src, 2000);
  const m = meta(`${srv.url}/store`, {
    media: { status: 'partial', reason: 'x', legs: { caller: { forwarded: 500, received: 480 }, callee: { forwarded: 500, received: 500 } } },
  });
  const paused = [{ offsetMs: 1000, durationMs: 2000, startedAt: m.startedAt + 1000, endedAt: m.startedAt + 3000, omitted: false }];
  const withPaused = { ...m, paused };
  const r = await q.enqueue({ filePath: f.path, meta: withPaused });
  const first = await srv.waitFor(() => srv.delivered().length >= 1, 10_000, 'recording').then(() => srv.delivered()[0]);
  t.equal(first.path, `/store/call_recording_${encodeURIComponent(m.callId)}.mp3`);
  await waitStatus(q, r.id, [DeliveryStatus.Uploaded]);
  const side = srv.delivered().find((x) => x.path.endsWith('.json'));
  if (!side) throw new Error('no sidecar');
  t.equal(side.path, `/store/call_recording_${encodeURIComponent(m.callId)}.json`, 'same place, <name>.json');
  t.equal(side.method, 'PUT');
  t.equal(side.headers['content-type'], 'application/json');
  t.equal(side.query.recording_id, r.id, 'same query metadata as the recording');
  const doc = JSON.parse(side.body.toString()) as Record<string, unknown>;
  t.match(doc, {
    recording_id: r.id, call_id: m.callId, direction: 'inbound', origin: m.origin, duration_ms: 12_000, start: new Date(m.startedAt).toISOString(),
    parties: { from: m.from, to: m.to, caller_id_number: m.callerIdNumber }, paused, format: 'mp3',
    media_legs: { caller: { forwarded: 500, received: 480, lost: 20 }, callee: { lost: 0 } },
  });
  t.same(results, ['success']);

  // Another account: no sidecar.
  const f2 = await makeRecording(src, 2000);
  const r2 = await q.enqueue({ filePath: f2.path, meta: meta(`${srv.url}/other`, { accountId: 'f'.repeat(32) }) });
  await waitStatus(q, r2.id, [DeliveryStatus.Uploaded]);
  t.notOk(srv.delivered().some((x) => x.path.startsWith('/other') && x.path.endsWith('.json')), 'not for an account without it');
});

t.test('a failed sidecar fails the attempt; the retry sends both', async (t) => {
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool), { sidecar: async () => true });
  t.teardown(() => q.close());
  const results: string[] = [];
  q.on('sidecar', (e) => results.push(e.result));
  const f = await makeRecording(src, 2000);
  srv.delayNext(500); // the recording's answer is held, so the next failure is the sidecar's
  const r = await q.enqueue({ filePath: f.path, meta: meta(`${srv.url}/s`) });
  await srv.waitFor(() => srv.requests[0]?.complete === true, 10_000, 'first request');
  srv.failNext(1, 503);
  const done = await waitStatus(q, r.id, [DeliveryStatus.Uploaded]);
  t.ok(done.attempts >= 2, 'retried');
  t.same(results.slice(0, 2), ['failure', 'success']);
  t.equal(srv.delivered().filter((x) => x.path.endsWith('.mp3')).length, 2, 'recording sent again with its sidecar (at-least-once)');
});
