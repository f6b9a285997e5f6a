/**
 * Starts a whole Service in this process on free loopback ports, with a temporary SQLite file
 * and an rtpengine of its own (NG port free, RTP range a random block of the tests' media ports).
 * Other parts' tests reuse it: `const svc = await startTestService(); ... await svc.close();`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { deepMerge, parseConfig, type FrozenConfig } from '../../src/config';
import { Service } from '../../src/service';
import type { DocumentStore } from '../../src/store';
import { freePorts, mediaBlocks } from './ports';

export interface TestService {
  service: Service;
  config: FrozenConfig;
  store: DocumentStore;
  /** http://127.0.0.1:port */
  apiUrl: string;
  sipPort: number;
  /** host:port for SIPp's remote argument. */
  sipTarget: string;
  ngPort: number;
  rtpRange: { min: number; max: number };
  dir: string;
  close(): Promise<void>;
  /** Closes the service (SIGTERM-like, files kept) and starts a new one on the same config, ports and files. */
  restart(): Promise<TestService>;
}

export interface TestServiceOptions {
  /** Deep-merged over the generated configuration. */
  config?: Record<string, unknown>;
  /** Defaults to silent; set B2BUA_TEST_LOG=debug to see the service's logs. */
  logger?: Logger;
  /** RTP ports for rtpengine (default 400, enough for ~90 calls with forks). */
  rtpPorts?: number;
  /** UDP ports for the recorder's fork sockets, two per recorded call (default: rtpPorts). */
  recorderPorts?: number;
}

export async function startTestService(o: TestServiceOptions = {}): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), 'b2bua-svc-'));
  const [sipPort, apiPort, drachtioPort, ngPort] = await freePorts(4);
  const size = o.rtpPorts ?? 400;
  const recSize = o.recorderPorts ?? size;
  // One random block, so parallel test files rarely collide (rtpengine skips a port that is
  // taken): rtpengine's ports, then the recorder's fork sockets, disjoint and in the media range
  // too (port 0 would let the OS pick from its ephemeral range, which reaches 40000+). Drawing
  // the two blocks apart until they missed each other never ended once they could not.
  const [min, recMin] = mediaBlocks(size, recSize) as [number, number];
  const base = {
    logLevel: process.env.B2BUA_TEST_LOG ?? 'silent',
    engine: {
      embedded: true,
      sip: { listen: [{ host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'] }] },
      drachtio: { host: '127.0.0.1', port: drachtioPort, secret: 'test-secret' },
    },
    api: { host: '127.0.0.1', port: apiPort, bootstrapApiKey: 'test-bootstrap-key' },
    store: { path: join(dir, 'store.sqlite') },
    media: { mode: 'local', local: { ngHost: '127.0.0.1', ngPort, interface: '127.0.0.1', portMin: min, portMax: min + size - 1, logLevel: 3 } },
    delivery: { spoolDir: join(dir, 'spool') },
    // The overload guard off: test files run in parallel on a shared machine, and a stall there
    // must not refuse a test's call (ops/overload.test.ts turns it on; bench:recordings too).
    recorder: { spoolDir: join(dir, 'recordings'), portMin: recMin, portMax: recMin + recSize - 1, overloadLagMs: 0 },
    calls: { noAnswerTimeoutSec: 30, trunkAttemptTimeoutSec: 10 },
  };
  const merged = deepMerge(base, o.config ?? {});
  const config = parseConfig(merged);
  const logger = o.logger ?? pino({ level: config.logLevel });
  return launch(config, logger, { sipPort, ngPort, rtpRange: { min, max: min + size - 1 }, dir });
}

type Placement = Pick<TestService, 'sipPort' | 'ngPort' | 'rtpRange' | 'dir'>;

async function launch(config: FrozenConfig, logger: Logger, p: Placement): Promise<TestService> {
  const service = new Service(config, logger);
  try {
    await service.start();
  } catch (err) {
    rmSync(p.dir, { recursive: true, force: true });
    throw err;
  }
  const store = service.store;
  const api = service.api;
  if (!store || !api) throw new Error('service started without store or api');
  return {
    ...p, service, config, store, apiUrl: api.url, sipTarget: `127.0.0.1:${p.sipPort}`,
    close: async () => {
      await service.close();
      rmSync(p.dir, { recursive: true, force: true });
    },
    restart: async () => {
      await service.close();
      return launch(config, logger, p);
    },
  };
}
