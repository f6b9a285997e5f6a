/**
 * `npm run bench:pending-invites`: what a pending INVITE server transaction costs the engine.
 * One UDP source sends BENCH_INVITES (default 5000) INVITEs of about BENCH_SIZE bytes (default
 * 40000) to an embedded engine with no application, never ACKing the engine's 503 (so every
 * admitted transaction stays in Completed for Timer H, 64*T1), at a pace that the kernel does not
 * drop. Prints the transactions held, those refused by the caps, and heap + external memory
 * growth in all and per held transaction (after a forced GC). BENCH_PER_SOURCE raises
 * engine.sip.maxPendingInvitesPerSource (default 1000) to see the cost of many more.
 */
import { parseConfig } from '../src/config';
import { Engine } from '../src/engine/engine';
import { boundUdp, freePort } from '../test/helpers/ports';

const N = Number(process.env.BENCH_INVITES ?? 5000);
const SIZE = Number(process.env.BENCH_SIZE ?? 40000);
const PER_SOURCE = process.env.BENCH_PER_SOURCE ? Number(process.env.BENCH_PER_SOURCE) : undefined;

const gc = (globalThis as { gc?: () => void }).gc;
const settle = async (): Promise<void> => {
  await new Promise((r) => setTimeout(r, 300));
  gc?.();
  gc?.();
};
const used = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.external; };

async function main(): Promise<void> {
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:pending-invites does)');
  const cfg = parseConfig({
    logLevel: 'silent',
    engine: {
      sip: { listen: [{ host: '127.0.0.1', port: await freePort(), transports: ['udp'] }], ...(PER_SOURCE ? { maxPendingInvitesPerSource: PER_SOURCE } : {}) },
      drachtio: { host: '127.0.0.1', port: await freePort(), secret: 'bench' },
    },
  });
  const engine = new Engine(cfg.engine);
  await engine.start();
  const port = engine.sip.listeners()[0].port;
  const sock = await boundUdp();
  let answered = 0;
  sock.on('message', () => { answered++; });
  const body = `v=0\r\na=x-pad:${'x'.repeat(SIZE)}\r\n`;
  const invite = (i: number): Buffer => Buffer.from([
    `INVITE sip:1000@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${sock.address().port};branch=z9hG4bK-bench-${i};rport`,
    `From: <sip:flood@127.0.0.1>;tag=${i}`, 'To: <sip:1000@127.0.0.1>', `Call-ID: bench-${i}`, 'CSeq: 1 INVITE',
    'Max-Forwards: 70', 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n'));
  await settle();
  const before = used();
  // Each request gets at least one answer (100 + 503, or a 503 refusal): wait for it per batch.
  for (let sent = 0; sent < N;) {
    for (let i = 0; i < 20 && sent < N; i++) sock.send(invite(sent++), port, '127.0.0.1');
    const end = Date.now() + 5000;
    while (answered < sent && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
  }
  await settle();
  const grown = used() - before;
  const s = engine.sip.stats();
  const held = s.serverTransactionsActive;
  console.log(JSON.stringify({
    invites: N, bytesEach: invite(0).length, held, refusedPerSource: s.refusedSourceLimit, refusedTotal: s.refusedTotalLimit,
    growthMB: +(grown / 1048576).toFixed(1), perHeldKB: held ? +(grown / held / 1024).toFixed(1) : null,
  }));
  sock.close();
  await engine.close();
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
