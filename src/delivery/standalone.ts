/**
 * Runs a delivery queue as its own process: `node dist/src/delivery/standalone.js`.
 * Configuration: the `delivery` section of the usual config (B2BUA_CONFIG / env overrides).
 * Each line on stdin is a JSON DeliveryJob to enqueue; each queue event is written to stdout as
 * one JSON line ({"event": ..., ...}). Used to exercise crash recovery (SIGKILL) for real, and
 * usable to drain a spool left by a node that is not coming back.
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { loadConfig } from '../config';
import { DeliveryQueue } from './queue';
import { redactUrl } from './url';
import type { DeliveryJob } from './types';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const logger = pino({ level: cfg.logLevel }, pino.destination(2));
  const q = new DeliveryQueue(cfg.delivery, { logger });
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
    void q.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`delivery: ${err.message}\n`);
  process.exit(1);
});
