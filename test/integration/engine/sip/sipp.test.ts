import t from 'tap';
import { runSipp } from '../../../helpers/sipp';
import { freePort } from '../../../helpers/ports';
import { startUas } from './fixtures/uas';

// SIPp's built-in `uac` (INVITE / ACK / BYE) against a UAS written directly on SipStack.
const cases: { name: string; args: string[]; calls: number; minSuccess: number }[] = [
  { name: 'UDP, 50 calls at 20 cps', args: ['-t', 'u1'], calls: 50, minSuccess: 50 },
  { name: 'TCP, 50 calls at 20 cps', args: ['-t', 't1'], calls: 50, minSuccess: 50 },
  { name: 'UDP with 5% loss', args: ['-t', 'u1', '-lost', '5'], calls: 100, minSuccess: 99 },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const uas = await startUas();
    t.teardown(() => uas.stack.close());
    const localPort = await freePort();
    const r = await runSipp({
      scenario: 'uac',
      remote: `127.0.0.1:${uas.port}`,
      localPort,
      args: ['-m', String(c.calls), '-r', '20', '-l', '40', ...c.args],
      timeoutMs: 90_000,
    });
    t.ok(r.stats, `sipp statistics present (exit ${r.code}) ${r.stderr.slice(-300)}`);
    const ok = r.stats?.successful ?? 0;
    t.ok(ok >= c.minSuccess, `${ok}/${c.calls} calls successful (failed ${r.stats?.failed}) ${r.errors.slice(-500)}`);
    t.equal(uas.counts.INVITE, c.calls, 'every call reached the UAS once (retransmissions absorbed)');
    const s = uas.stack.stats();
    t.equal(s.malformed, 0);
    t.comment(`uas stats ${JSON.stringify(s)}`);
  });
}
