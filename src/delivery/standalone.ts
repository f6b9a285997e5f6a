/**
 * Runs a delivery queue as its own process: `node dist/src/delivery/standalone.js`.
 * Configuration: the `delivery`, `storage` and `store` sections of the usual config (B2BUA_CONFIG /
 * env overrides): the at-rest keys open an encrypted spool, and the store gives S3 destinations
 * their account's credentials and the accounts' sidecar setting, as in the service.
 * Each line on stdin is a JSON DeliveryJob to enqueue; each queue event is written to stdout as
 * one JSON line ({"event": ..., ...}). Used to exercise crash recovery (SIGKILL) for real, and
 * usable to drain a spool left by a node that is not coming back.
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { KeyRing } from '../atrest/keyring';
import { loadConfig } from '../config';
import { s3CredentialsOf, sidecarEnabled } from '../storage/credentials';
import { openStore } from '../store';
import { DeliveryQueue } from './queue';
import { redactUrl } from './url';
import type { DeliveryJob } from './types';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const logger = pino({ level: cfg.logLevel }, pino.destination(2));
  const enc = cfg.storage.encryption;
  const store = await openStore(cfg.store);
  const q = new DeliveryQueue(cfg.delivery, {
    logger,
    keys: new KeyRing(enc.keys, enc.activeKeyId),
    s3: { credentials: (id) => s3CredentialsOf(store, id), partSize: cfg.storage.s3.partSizeBytes, multipartThreshold: cfg.storage.s3.multipartThresholdBytes },
    sidecar: (id) => sidecarEnabled(store, id, cfg.storage.sidecar),
  });
  const out = (event: string, data: object): void => {
    process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
  };
  q.on('attempt', (e) => out('attempt', e));
  q.on('success', (e) => out('success', e));
  q.on('failure', (e) => out('failure', e));
  q.on('depth', (e) => out('depth', e));
  await q.start();
  out('started', { records: q.list().length });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    q.enqueue(JSON.parse(line) as DeliveryJob)
      .then((rec) => out('enqueued', { id: rec.id, targetUrl: redactUrl(rec.targetUrl) }))
      .catch((err: Error) => out('error', { message: err.message }));
  });
  const stop = (): void => {
    void q.close().then(() => store.close()).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`delivery: ${err.message}\n`);
  process.exit(1);
});
