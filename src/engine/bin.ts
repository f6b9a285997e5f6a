#!/usr/bin/env node
/**
 * Runs the embedded SIP engine on its own: `node dist/src/engine/bin.js`. Configuration comes
 * from loadConfig (B2BUA_CONFIG file or config/default.json, B2BUA_* env overrides); SIGTERM
 * and SIGINT close it cleanly. Prints one JSON line `{"ready":...}` on stdout once listening so
 * a supervising process (tests, bench) knows the ports.
 */
import pino from 'pino';
import { loadConfig } from '../config';
import { Engine } from './engine';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const engine = new Engine(config.engine, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'engine stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    engine.close().then(() => {
      logger.info(engine.stats(), 'engine stopped');
      process.exit(0);
    }, (err: unknown) => {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGUSR2 dumps counters (used by the cps benchmark to read retransmissions).
  process.on('SIGUSR2', () => process.stdout.write(JSON.stringify({ stats: engine.stats() }) + '\n'));
  await engine.start();
  process.stdout.write(JSON.stringify({ ready: { sip: engine.sip.listeners(), drachtio: engine.drachtio.address() } }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`engine failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
