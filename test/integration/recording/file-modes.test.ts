/**
 * After a recorded call, every state file the service wrote is owner-only, though this test
 * process runs with the usual umask 022 (the service sets modes itself; main.ts also sets umask
 * 077): the SQLite file and its -wal/-shm (SIP passwords, API keys), the rtpengine pid file, the
 * recordings (MP3 written by the lame child process, WAV by the worker) and the delivery
 * records (upload URLs with credentials). The recording URL's password is in no log line.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { runCall, setRecording, startRecordingEnv, uploadsOf } from './setup';

const PASSWORD = 'rec-s3cret';

t.test('a recorded call leaves only 0600 files in 0700 directories, and no password in the logs', async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  const env = await startRecordingEnv({ logger, config: { delivery: { keepUploaded: true } } });
  t.teardown(() => env.close());
  const { svc, upload, w } = env;
  const url = upload.url.replace('://', `://rec-user:${PASSWORD}@`);
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${url}/acct`, format: 'mp3' } } } });
  await setRecording(svc, 'devices', w.calleeDevice, { inbound: { onnet: { enabled: true, url: `${url}/dev`, format: 'wav' } } });
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone', toneFrames: 50 });
  t.equal(run.caller.code, 0, `caller ${run.caller.errors}`);
  const got = await uploadsOf(upload, run.call.callId, 2);
  t.same(got.map((u) => u.url.split('/')[1]).sort(), ['acct', 'dev'], 'both recordings (mp3, wav) delivered');

  const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
  const db = svc.config.store.path;
  for (const f of [db, `${db}-wal`, `${db}-shm`, join(svc.dir, 'rtpengine.pid')]) t.equal(mode(f), '600', f);
  const spool = svc.config.delivery.spoolDir;
  const recorderSpool = svc.config.recorder.spoolDir;
  for (const d of [spool, join(spool, 'meta'), join(spool, 'files'), recorderSpool]) t.equal(mode(d), '700', d);
  const kept = readdirSync(join(spool, 'files'));
  t.same(kept.map((f) => f.split('.').pop()).sort(), ['mp3', 'wav'], 'both recordings kept in the spool');
  for (const f of kept) t.equal(mode(join(spool, 'files', f)), '600', `recording ${f}`);
  for (const f of readdirSync(join(spool, 'meta'))) t.equal(mode(join(spool, 'meta', f)), '600', `record ${f}`);

  t.ok(lines.some((l) => l.includes('***@127.0.0.1')), 'the recording URL is logged, redacted');
  t.same(lines.filter((l) => l.includes(PASSWORD)), [], 'no log line carries the password');
});
