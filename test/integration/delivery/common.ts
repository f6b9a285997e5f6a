import { mkdtemp, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config';
import { DeliveryQueue, type DeliveryQueueDeps } from '../../../src/delivery';
import type { DeliveryConfig } from '../../../src/config/sections/delivery';
import type { DeliveryRecord, RecordingMeta } from '../../../src/delivery';
import { tempDir } from '../../helpers/temp';

/** A fresh spool directory and a directory for "finished recordings". */
export async function workDirs(): Promise<{ spool: string; src: string }> {
  const root = tempDir('delivery-test-');
  return { spool: join(root, 'spool'), src: await mkdtemp(join(root, 'src-')) };
}

/** A file of random bytes standing in for a finished recording. */
export async function makeRecording(dir: string, size: number, name = `${randomBytes(4).toString('hex')}.mp3`): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

/** Delivery config through the real schema, loopback allowed, ms-scale timings. */
export function testConfig(spool: string, over: Partial<DeliveryConfig> = {}): DeliveryConfig {
  return parseConfig({
    delivery: {
      spoolDir: spool,
      allow: ['127.0.0.1/32', '::1/128'],
      connectTimeoutMs: 2000,
      transferTimeoutMs: 2000,
      backoffBaseMs: 20,
      backoffMaxMs: 200,
      horizonMs: 60_000,
      ...over,
    },
  }).delivery as DeliveryConfig;
}

export async function startQueue(cfg: DeliveryConfig, deps: DeliveryQueueDeps = {}): Promise<DeliveryQueue> {
  const q = new DeliveryQueue(cfg, deps);
  await q.start();
  return q;
}

export function meta(url: string, over: Partial<RecordingMeta> = {}): RecordingMeta {
  return {
    accountId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    callId: `call-${randomBytes(3).toString('hex')}@10.0.0.1`,
    origin: 'inbound from offnet to user',
    from: '+15551230000@example.com',
    to: '1000@example.com',
    callerIdName: 'Caller',
    callerIdNumber: '+15551230000',
    direction: 'inbound',
    startedAt: Date.UTC(2026, 10, 24, 3, 0, 0),
    durationMs: 12_000,
    format: 'mp3',
    sampleRate: 16000,
    url,
    method: 'put',
    ...over,
  };
}

/** Polls the queue until the record reaches a status in `want`; rejects after timeoutMs. */
export async function waitStatus(q: DeliveryQueue, id: string, want: string[], timeoutMs = 20_000): Promise<DeliveryRecord> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = q.get(id);
    if (r && want.includes(r.status)) return r;
    if (Date.now() > end) throw new Error(`record ${id} still ${r?.status} after ${timeoutMs} ms (wanted ${want.join('|')})`);
    await new Promise((res) => setTimeout(res, 10));
  }
}
