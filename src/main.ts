#!/usr/bin/env node
/**
 * The service's entry point: `node dist/src/main.js`. Configuration from loadConfig
 * (B2BUA_CONFIG file or config/default.json, B2BUA_* environment overrides); SIGTERM / SIGINT
 * close every part (calls get their BYE first) and exit.
 */
import pino from 'pino';
import { loadConfig } from './config';
import { Service } from './service';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  const service = new Service(config, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    service.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await service.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
