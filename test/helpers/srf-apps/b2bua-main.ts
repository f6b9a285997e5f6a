/**
 * The createB2BUA test app as its own process (bench/cps.ts runs it apart from the engine, as
 * production would). Env: DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET, TARGET (sip: URI).
 * Prints `ready` once connected; SIGUSR2 prints its counters as JSON; SIGTERM exits.
 */
import { connectSrf, installB2bua, newCounters } from './apps';

async function main(): Promise<void> {
  const port = Number(process.env.DRACHTIO_PORT ?? 9022);
  const target = process.env.TARGET;
  if (!target) throw new Error('TARGET is required');
  const srf = await connectSrf(port, process.env.DRACHTIO_SECRET ?? 'cymru', process.env.DRACHTIO_HOST ?? '127.0.0.1');
  const c = newCounters();
  installB2bua(srf, target, c);
  process.on('SIGUSR2', () => process.stdout.write(JSON.stringify({ counters: { ...c, errors: c.errors.slice(0, 5) } }) + '\n'));
  process.on('SIGTERM', () => {
    srf.disconnect();
    process.exit(0);
  });
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`b2bua app failed: ${String(err)}\n`);
  process.exit(1);
});
