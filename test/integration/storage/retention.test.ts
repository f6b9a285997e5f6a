/**
 * The retention sweeper over a real SQLite store and the real delivery queue (through the
 * service's Recordings part), with a clock the test moves: nothing expires before its day,
 * everything past it goes, inherited down the account tree, in bounded batches.
 */
import t from 'tap';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../../src/config';
import { openStore } from '../../../src/store';
import { Recordings } from '../../../src/recording';
import { createMetrics } from '../../../src/metrics';
import { UploadServer } from '../../helpers/upload-server';
import { makeRecording, meta, waitStatus } from '../delivery/common';

const DAY = 86_400_000;

t.test('retention per account, inherited, enforced by the sweeper on a controlled clock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'retention-'));
  const srv = await UploadServer.start();
  t.teardown(() => srv.close());
  const config = parseConfig({
    store: { path: join(dir, 'store.sqlite') },
    delivery: { spoolDir: join(dir, 'spool'), allow: ['127.0.0.0/8'], keepUploaded: true, backoffBaseMs: 20, backoffMaxMs: 50 },
    recorder: { spoolDir: join(dir, 'rec'), encoderWorkers: 1 },
    storage: { retention: { batchSize: 3 } },
  });
  const store = await openStore(config.store);
  t.teardown(() => store.close());
  let now = Date.UTC(2026, 0, 1);
  const metrics = createMetrics(undefined, false);
  const recs = new Recordings({ config, store, accountById: async () => undefined, logger: pino({ level: 'silent' }), metrics, now: () => now });
  await recs.start();
  t.teardown(() => recs.close());

  // master (nothing) -> reseller (cdr 90, recordings 30) -> customer (files 7); other: nothing.
  const master = await store.createAccount(null, { name: 'master' });
  const reseller = await store.createAccount(master._id, { name: 'reseller', retention: { cdr_days: 90, recordings_days: 30 } });
  const customer = await store.createAccount(reseller._id, { name: 'customer', retention: { files_days: 7 } });
  const other = await store.createAccount(master._id, { name: 'other' });

  const { src } = { src: mkdtempSync(join(dir, 'src-')) };
  const recording = async (accountId: string) => {
    const f = await makeRecording(src, 1000);
    const r = await recs.queue.enqueue({ filePath: f.path, meta: meta(`${srv.url}/up`, { accountId, startedAt: now, durationMs: 60_000 }) });
    await waitStatus(recs.queue, r.id, ['uploaded']);
    return r.id;
  };
  const cust = await recording(customer._id);
  const res = await recording(reseller._id);
  const oth = await recording(other._id);
  await recs.flush();
  const call = async (accountId: string) => (await store.create('calls', accountId, { call_id: 'c', timestamp_end: Math.floor(now / 1000) }))._id;
  const cdrCust = await call(customer._id);
  const cdrOther = await call(other._id);
  const fileOf = (id: string) => recs.queue.filePathOf(id);
  const custFile = fileOf(cust) as string;
  t.ok(existsSync(custFile), 'kept file present');

  now += 6 * DAY;
  t.same(await recs.sweeper.sweep(), { cdr: 0, recording: 0, file: 0, more: false }, 'day 6: nothing expired');

  now += 1 * DAY + 60_000;
  t.same(await recs.sweeper.sweep(), { cdr: 0, recording: 0, file: 1, more: false }, 'day 7: the customer\'s kept file only');
  t.notOk(existsSync(custFile), 'file gone from the spool');
  await recs.flush();
  t.match(await store.read('recordings', cust), { file_kept: false }, 'record kept, says the file is gone');
  t.ok(existsSync(fileOf(res) as string), "the reseller's file stays (files_days is not inherited upwards)");

  now += 23 * DAY;
  t.same(await recs.sweeper.sweep(), { cdr: 0, recording: 2, file: 1, more: false }, 'day 30: both records inherited 30 days');
  await t.rejects(store.read('recordings', cust), { name: 'NotFoundError' }, 'customer record gone');
  await t.rejects(store.read('recordings', res), { name: 'NotFoundError' }, 'reseller record gone');
  t.equal(recs.queue.get(res), undefined, 'queue record gone');
  t.ok(recs.queue.get(oth) && (await store.read('recordings', oth)), 'an account without retention keeps everything');

  now += 60 * DAY;
  t.same(await recs.sweeper.sweep(), { cdr: 1, recording: 0, file: 0, more: false }, 'day 90: the call record inherited 90 days');
  await t.rejects(store.read('calls', cdrCust, { includeDeleted: true }), { name: 'NotFoundError' }, 'hard-deleted');
  t.ok(await store.read('calls', cdrOther), "other account's call record kept");

  // The batch bound: 5 expired call records, 3 per sweep.
  for (let i = 0; i < 5; i++) await call(reseller._id);
  now += 91 * DAY;
  t.same(await recs.sweeper.sweep(), { cdr: 3, recording: 0, file: 0, more: true }, 'first sweep stops at the batch size');
  t.same(await recs.sweeper.sweep(), { cdr: 2, recording: 0, file: 0, more: false }, 'the next one finishes');
  const text = await metrics.registry.metrics();
  t.match(text, /b2bua_storage_deleted_total\{kind="cdr",by="retention"\} 6/);
  t.match(text, /b2bua_storage_deleted_total\{kind="recording",by="retention"\} 2/);
  t.match(text, /b2bua_storage_deleted_total\{kind="file",by="retention"\} 2/);
});
