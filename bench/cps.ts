/**
 * `npm run bench:cps`: calls per second through the embedded engine with a createB2BUA app,
 * SIPp UAC -> engine -> app -> engine -> SIPp UAS, no media. The engine (bin) and the app run
 * as separate processes. The rate steps up (CPS_STEPS, default 100,200,...,1000), each step runs
 * CPS_STEP_SECONDS (default 30). A step passes only if every call succeeded AND the calls were
 * carried at the offered rate: SIPp finished within the step plus CPS_SLACK_SECONDS (default 2;
 * a call lasts 0.2 s). A step that completes all its calls late only means the offered rate was
 * not carried (SIPp queues calls behind its -l limit while retransmitting), so it fails.
 * The run stops at the first failing step. Prints per step: calls, failures, wall time and the
 * carried rate, CPU of every process (from /proc/<pid>/stat), retransmissions per call (SIPp's
 * and the engine's) and latency p50/p99 from SIPp's response-time timers (uac-cps.xml):
 * INVITE -> 100 Trying, 100 -> 180 (routing + forwarding the INVITE + relaying the 180) and
 * INVITE -> 200. Then the highest rate carried cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePorts } from '../test/helpers/ports';
import { startSipp } from '../test/helpers/sipp';

const ROOT = resolve(__dirname, '..', '..');
const STEPS = (process.env.CPS_STEPS ?? '100,200,300,400,500,600,700,800,900,1000').split(',').map(Number);
const SECONDS = Number(process.env.CPS_STEP_SECONDS ?? 30);
const SLACK = Number(process.env.CPS_SLACK_SECONDS ?? 2);
const SECRET = 'bench-secret';
const TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return null;
  }
}

/** Samples a process's CPU ticks every 500 ms so the figure survives the process exiting. */
class CpuMeter {
  private first: number | null = null;
  private last: number | null = null;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number | undefined) {
    this.first = cpuTicks(pid);
    this.last = this.first;
    this.timer = setInterval(() => { this.last = cpuTicks(this.pid) ?? this.last; }, 500);
  }
  /** Percent of one core over `seconds`. */
  stop(seconds: number): number {
    clearInterval(this.timer);
    this.last = cpuTicks(this.pid) ?? this.last;
    if (this.first === null || this.last === null) return NaN;
    return ((this.last - this.first) / TICKS / seconds) * 100;
  }
}

/** Spawns a node process and resolves with it once a stdout line satisfies `ready`. */
function spawnNode(script: string, env: NodeJS.ProcessEnv, ready: (line: string) => boolean): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [...(process.env.CPS_NODE_ARGS ? process.env.CPS_NODE_ARGS.split(' ') : []), script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${script} did not start`)), 15000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      lines.push(l);
      if (ready(l)) {
        clearTimeout(timer);
        res({ child, lines });
      }
    });
    child.once('exit', (code) => rej(new Error(`${script} exited with ${code}`)));
  });
}

/** p-th percentile (nearest rank) of the samples, or NaN. */
function percentile(samples: number[] | undefined, p: number): number {
  if (!samples || samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function latency(samples: number[] | undefined): string {
  return `${percentile(samples, 50)}/${percentile(samples, 99)}`;
}

async function engineRetransmissions(engine: ChildProcess, lines: string[]): Promise<number> {
  const before = lines.length;
  engine.kill('SIGUSR2');
  for (let i = 0; i < 50 && lines.length === before; i++) await new Promise((r) => setTimeout(r, 20));
  const l = lines.slice(before).find((x) => x.startsWith('{"stats"'));
  if (!l) return NaN;
  const s = JSON.parse(l) as { stats: { sip: { retransmissionsSent: number } } };
  return s.stats.sip.retransmissionsSent;
}

async function main(): Promise<void> {
  const [sipPort, drachtioPort, uasPort, uacPort] = await freePorts(4);
  const engine = await spawnNode(resolve(ROOT, 'dist/src/engine/bin.js'), {
    B2BUA_LOG_LEVEL: 'warn',
    B2BUA_ENGINE__SIP__LISTEN: JSON.stringify([{ host: '127.0.0.1', port: sipPort, transports: ['udp'] }]),
    B2BUA_ENGINE__DRACHTIO__PORT: String(drachtioPort),
    B2BUA_ENGINE__DRACHTIO__SECRET: SECRET,
  }, (l) => l.startsWith('{"ready"'));
  const app = await spawnNode(resolve(ROOT, 'dist/test/helpers/srf-apps/b2bua-main.js'), {
    DRACHTIO_PORT: String(drachtioPort), DRACHTIO_SECRET: SECRET, TARGET: `sip:callee@127.0.0.1:${uasPort}`,
  }, (l) => l === 'ready');
  const uas = startSipp({ scenario: 'uas-basic.xml', localPort: uasPort, args: ['-max_socket', '100000'], timeoutMs: 24 * 3600 * 1000 });
  await new Promise((r) => setTimeout(r, 500));

  console.log(`cps bench: ${SECONDS}s per step (+${SLACK}s slack to carry it), steps ${STEPS.join(',')}`);
  console.log('latency columns: p50/p99 ms (SIPp timers have 1 ms resolution); retrans: per call');
  console.log('rate  calls  ok     failed  wall_s  carried/s  engine%  app%  sippUAC%  sippUAS%  retransSIPp  retransEngine  100Trying  forward  answer');
  let best = 0;
  try {
    for (const rate of STEPS) {
      const calls = rate * SECONDS;
      const retransBefore = await engineRetransmissions(engine.child, engine.lines);
      const meters = [new CpuMeter(engine.child.pid), new CpuMeter(app.child.pid), new CpuMeter(uas.child.pid)];
      const t0 = Date.now();
      const uac = startSipp({
        scenario: 'uac-cps.xml', remote: `127.0.0.1:${sipPort}`, localPort: uacPort, rtt: true,
        args: ['-r', String(rate), '-m', String(calls), '-l', String(rate * 5), '-max_socket', '100000'],
        timeoutMs: (SECONDS + 60) * 1000,
      });
      const uacMeter = new CpuMeter(uac.child.pid);
      const r = await uac.done;
      const wall = (Date.now() - t0) / 1000;
      const [eCpu, aCpu, sCpu] = meters.map((m) => m.stop(wall));
      const uCpu = uacMeter.stop(wall);
      const retrans = (await engineRetransmissions(engine.child, engine.lines)) - retransBefore;
      const ok = r.stats?.successful ?? 0;
      const failed = r.stats?.failed ?? NaN;
      const onTime = wall <= SECONDS + SLACK;
      const pass = ok === calls && failed === 0 && onTime;
      const carried = ok / Math.max(wall - 0.2, 0.001);
      const sippRetrans = r.stats?.retransmissions ?? NaN;
      console.log(`${String(rate).padEnd(6)}${String(calls).padEnd(7)}${String(ok).padEnd(7)}${String(failed).padEnd(8)}` +
        `${wall.toFixed(1).padEnd(8)}${carried.toFixed(0).padEnd(11)}` +
        `${eCpu.toFixed(0).padEnd(9)}${aCpu.toFixed(0).padEnd(6)}${uCpu.toFixed(0).padEnd(10)}${sCpu.toFixed(0).padEnd(10)}` +
        `${(sippRetrans / calls).toFixed(3).padEnd(13)}${(retrans / calls).toFixed(3).padEnd(15)}` +
        `${latency(r.rtt.get('trying')).padEnd(11)}${latency(r.rtt.get('forward')).padEnd(9)}${latency(r.rtt.get('1'))}` +
        (pass ? '' : onTime ? '   <- failed step' : `   <- failed step: not carried at ${rate}/s (took ${wall.toFixed(1)}s for ${SECONDS}s of calls)`));
      if (!pass) {
        const reasons = [...new Set((r.errors.match(/(Aborting|unexpected|Timeout|timeout)[^\n]{0,160}/g) ?? []).map((x) => x.replace(/Call-I[Dd][^ ]* [^ ]+/, '')))];
        console.log(`  wall ${wall.toFixed(1)}s; SIPp failure reasons: ${reasons.slice(0, 5).join(' | ') || r.errors.replace(/\s+/g, ' ').slice(0, 300)}`);
        break;
      }
      best = rate;
      await new Promise((res) => setTimeout(res, 3000));
    }
  } finally {
    uas.child.kill('SIGKILL');
    app.child.kill('SIGTERM');
    engine.child.kill('SIGTERM');
  }
  console.log(`highest rate carried ${SECONDS}s on time with zero failed calls: ${best} calls/s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
