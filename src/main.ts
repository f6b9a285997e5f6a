#!/usr/bin/env node
/**
 * The service's entry point: `node dist/src/main.js`. Configuration from loadConfig
 * (B2BUA_CONFIG file or config/default.json, B2BUA_* environment overrides). SIGTERM drains
 * (new INVITEs 503, calls in progress continue up to service.shutdown.drainSec, recordings
 * finalized and queued) and exits 0; SIGINT, or a second signal, hangs up at once; SIGHUP rereads
 * the SIP TLS certificate and key.
 */
import pino from 'pino';
import { loadConfig } from './config';
import { Service } from './service';
import { ensureBootstrapKey } from './service/bootstrap-key';
import { youngGenerationForWorkers } from './service/young-generation';

async function main(): Promise<void> {
  youngGenerationForWorkers();
  // Everything the service and its children (rtpengine, lame) create is owner-only: the state
  // holds SIP passwords, API keys and recorded conversations. The parts also set modes
  // themselves, so an embedding process with another umask gets the same.
  process.umask(0o077);
  let config = loadConfig();
  const logger = pino({ level: config.logLevel });
  if (config.api.bootstrapApiKey === '') {
    const { key, file } = ensureBootstrapKey(config.store.path);
    config = loadConfig({ ...process.env, B2BUA_API__BOOTSTRAP_API_KEY: key });
    logger.info({ file }, 'no api.bootstrapApiKey configured: using the generated key kept in this file');
  }
  const service = new Service(config, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      // A second signal while draining: stop waiting for calls.
      void service.close();
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const { drainSec, uploadGraceSec } = config.service.shutdown;
    const drain = signal === 'SIGTERM' ? drainSec + uploadGraceSec : 0;
    // Last resort if a part hangs while closing: the drain and grace plus a margin.
    const force = setTimeout(() => process.exit(1), (drain + 15) * 1000);
    force.unref();
    const done = signal === 'SIGTERM' ? service.drainAndClose(signal).then(() => undefined) : service.close();
    done.then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => service.reloadTls());
  await service.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
