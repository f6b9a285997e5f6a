/**
 * Starts an embedded Engine on free loopback ports for a test, and waits on conditions with a
 * bound (never a timed assertion: the wait only keeps a test from hanging).
 */
import pino from 'pino';
import { parseConfig } from '../../../src/config';
import { Engine } from '../../../src/engine/engine';
import { freePort } from '../ports';

export const SECRET = 'test-secret';

export interface EngineHandle {
  engine: Engine;
  sipPort: number;
  drachtioPort: number;
  close(): Promise<void>;
}

export interface EngineOptions {
  t1?: number;
  logLevel?: string;
  /** engine.sip overload bounds. */
  maxServerTransactions?: number;
  maxPendingInvitesPerSource?: number;
}

export async function startEngine(opts: EngineOptions = {}): Promise<EngineHandle> {
  // freePort() probes then releases a port; another test process can take it before the engine
  // binds. That race is the harness's, not the engine's: pick new ports and try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEngineOnce(opts);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw err;
    }
  }
}

async function startEngineOnce(opts: EngineOptions): Promise<EngineHandle> {
  const sipPort = await freePort();
  const drachtioPort = await freePort();
  const cfg = parseConfig({
    engine: {
      sip: {
        listen: [{ host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'] }], t1: opts.t1 ?? 500,
        ...(opts.maxServerTransactions !== undefined ? { maxServerTransactions: opts.maxServerTransactions } : {}),
        ...(opts.maxPendingInvitesPerSource !== undefined ? { maxPendingInvitesPerSource: opts.maxPendingInvitesPerSource } : {}),
      },
      drachtio: { host: '127.0.0.1', port: drachtioPort, secret: SECRET },
    },
  });
  const logger = pino({ level: opts.logLevel ?? process.env.ENGINE_TEST_LOG ?? 'silent' });
  const engine = new Engine(cfg.engine, logger);
  try {
    await engine.start();
  } catch (err) {
    // Whatever did bind before the failure is released before a retry.
    await engine.close().catch(() => undefined);
    throw err;
  }
  return { engine, sipPort, drachtioPort, close: () => engine.close() };
}

export { waitFor } from '../wait';
