/**
 * `npm run bench:recordings`: the most concurrent recorded calls this machine sustains with no
 * packet missing from the files. The whole service runs in this process (embedded engine,
 * supervised rtpengine, recorder with its encoder workers, delivery), and uploads to a web server
 * in a child process of its own (recorder/upload-sink.ts: receiving the files is the customer's
 * work, so it is not in the service's CPU or memory);
 * SIPp plays a carrier calling a DID (127.0.0.2, 1 kHz tone) and a second carrier answering it
 * (127.0.0.3, 400 Hz), both with rtp_stream (REC_MEDIA=pcap: play_pcap_audio, a thread per call
 * and about three times SIPp's CPU), so every call is offnet -> offnet through rtpengine and
 * recorded by the account's rule as stereo MP3 at 16 kHz (Kazoo's defaults), from the answer.
 *
 * Steps (REC_STEPS, default 100,150,200,250,300 concurrent calls): each call holds
 * REC_HOLD_SECONDS (default 60); SIPp keeps N calls up for two hold periods (2N calls). A step
 * passes when no call failed, every recording completed and was uploaded, the recorder's jitter
 * buffers counted no lost and no late packet on any leg, and ten decoded files have each tone on
 * its channel from start to end without a 20 ms gap. Prints per step the calls, recordings, RTP
 * received / lost / late, CPU of this process, rtpengine, the lame encoders and SIPp, load
 * average, event-loop lag, then CPU per concurrent call and the ceiling it implies; then the
 * highest step passed. Stops at the first failing step. REC_JITTER_MS overrides the recorder's
 * jitter buffer delay (default: the recorder's, 500 ms).
 *
 * REC_OVERLOAD_MS: recorder.overloadLagMs (default 'auto', the product's: the jitter delay with
 * batched receive, half of it with dgram; 0 = off); REC_BACKLOG_SEC: recorder.overloadBacklogSec
 * (default the product's, 2; 0 = off). With the guard on, a step past the machine's edge has new calls refused with 503
 * (recorder_overload) rather than recordings losing packets: such a step prints GUARDED when
 * every failed call was one the service refused and the admitted calls' recordings are whole.
 *
 * REC_FORMAT: mp3-16k-stereo (default, Kazoo's defaults), mp3-8k-mono or wav (16 kHz stereo).
 * REC_THREADS: recorder.threads (default the config's 'auto'; 0 = sessions on the main thread).
 * REC_RECEIVE: recorder.receive (default 'auto': batched where its addon was built; 'dgram' is
 * node:dgram, the competitor in the same build).
 * Also printed per step: the recorder threads' event-loop lag (what the jitter delay must
 * absorb besides network jitter, now that RTP is off the main thread), the main thread's CPU
 * and the recorder threads' CPU per call apart (/proc thread times), lame's (the lame spawner's children), and memory per active recording
 * (goal <= 256 KiB): the live heap (V8 heap in use plus Buffers, of the main thread and every
 * recorder thread, each after a full GC: npm's script runs node with --expose-gc) with every
 * call up minus the same before the step, over the recordings active then; the service's RSS
 * the same way (the allocator keeps freed pages, so RSS overstates a step and can even shrink);
 * and the lame processes' own RSS per recording.
 */
import { readFileSync, readdirSync, renameSync, writeFileSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { freePort } from '../test/helpers/ports';
import { startTestService, type TestService } from '../test/helpers/service';
import { SCENARIO_DIR, startSipp } from '../test/helpers/sipp';
import { startUploadSink } from './recorder/upload-sink';
import { writeTonePcap } from '../test/helpers/pcap';
import { linearToUlaw } from '../src/recorder/g711';
import { processCpuSeconds } from '../src/media/watchdog';
import { toneSpan } from '../test/integration/recording/media';
import { decode } from '../test/integration/recorder/decode';
import { RecorderThreads } from '../src/recorder';
import { liveBytes } from '../src/recorder/remote/live-bytes';
import { youngGenerationForWorkers } from '../src/service/young-generation';

const STEPS = (process.env.REC_STEPS ?? '100,150,200,250,300').split(',').map(Number);
const HOLD = Number(process.env.REC_HOLD_SECONDS ?? 60);
/** REC_MEDIA=pcap: SIPp's play_pcap_audio (a thread per call) instead of rtp_stream. */
const STREAM = (process.env.REC_MEDIA ?? 'stream') !== 'pcap';
const FORMAT = process.env.REC_FORMAT ?? 'mp3-16k-stereo';
const FORMATS: Record<string, { format: 'mp3' | 'wav'; rate: number; stereo: boolean }> = {
  'mp3-16k-stereo': { format: 'mp3', rate: 16000, stereo: true },
  'mp3-8k-mono': { format: 'mp3', rate: 8000, stereo: false },
  wav: { format: 'wav', rate: 16000, stereo: true },
};
const REC = FORMATS[FORMAT];
if (REC === undefined) throw new Error(`REC_FORMAT ${FORMAT}: one of ${Object.keys(FORMATS).join(', ')}`);
const CALLER = '127.0.0.2';
const HEAP_NOTE = typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'main + recorder threads, after a full GC' : 'main + recorder threads, no --expose-gc: garbage included';
const CALLEE = '127.0.0.3';
const DID = '5550000';

/** CPU seconds of this process's waited-for children (lame encoders, finished SIPp runs). */
function childrenCpuSeconds(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[13]) + Number(x[14])) / 100;
}

/** utime + stime of /proc/<pid>/task/<tid>/stat (a thread) or of the waited-for children of a process. */
function statSeconds(path: string, children = false): number {
  try {
    const f = readFileSync(path, 'utf8');
    const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return children ? (Number(x[13]) + Number(x[14])) / 100 : (Number(x[11]) + Number(x[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident set of a process in bytes (0 when gone). */
function rssOf(pid: number | string): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The lame processes (children of the spawner): how many, their summed RSS. */
/** Private memory of a process (smaps_rollup: Private_Clean + Private_Dirty; 0 when gone). */
function privateOf(pid: number | string): number {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(t)?.[1] ?? 0);
    return (kb('Private_Clean') + kb('Private_Dirty')) * 1024;
  } catch {
    return 0;
  }
}

/** The lame processes (the spawner's children): how many, their RSS and their private memory. */
function lameRss(spawnerPid: number | undefined): { n: number; bytes: number; own: number } {
  if (spawnerPid === undefined) return { n: 0, bytes: 0, own: 0 };
  let n = 0;
  let bytes = 0;
  let own = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]) !== spawnerPid) continue;
    } catch {
      continue;
    }
    n++;
    bytes += rssOf(pid);
    own += privateOf(pid);
  }
  return { n, bytes, own };
}

/** Keeps the last CPU reading of processes that will exit before the step ends (SIPp). */
function trackCpu(pids: readonly (number | undefined)[]): { stop(): number } {
  const last = new Map<number, number>();
  const read = (): void => {
    for (const pid of pids) {
      const v = pid === undefined ? null : processCpuSeconds(pid);
      if (pid !== undefined && v !== null) last.set(pid, v);
    }
  };
  const timer = setInterval(read, 1000);
  return {
    stop: () => {
      read();
      clearInterval(timer);
      return [...last.values()].reduce((a, b) => a + b, 0);
    },
  };
}

interface Counters {
  /** New INVITEs the service refused (503: recorder_overload, max_calls). */
  refused: number;
  completed: number;
  /** Finished with some media missing (sent, marked partial). */
  partial: number;
  discarded: number;
  failed: number;
  uploads: number;
  received: number;
  lost: number;
  late: number;
  /** Seconds the jitter buffers' anchor moves put in as silence / dropped as overlap (all legs). */
  padded: number;
  trimmed: number;
}

async function counters(svc: TestService): Promise<Counters> {
  const m = svc.service.metrics;
  const fin = (await m.recordingsFinished.get()).values;
  const rtp = (await m.rtpPackets.get()).values;
  const up = (await m.uploadAttempts.get()).values;
  const refused = (await m.invitesRefused.get()).values;
  const adjusted = (await m.recorderAdjusted.get()).values;
  type Labelled = { labels: Partial<Record<string, string | number>>; value: number };
  const sum = (vals: readonly Labelled[], pred: (l: Partial<Record<string, string | number>>) => boolean): number =>
    vals.filter((v) => pred(v.labels)).reduce((s, v) => s + v.value, 0);
  return {
    refused: sum(refused, (l) => l.reason !== 'draining'),
    completed: sum(fin, (l) => l.outcome === 'completed'),
    partial: sum(fin, (l) => l.outcome === 'partial'),
    discarded: sum(fin, (l) => l.outcome === 'discarded_short'),
    failed: sum(fin, (l) => l.outcome === 'failed'),
    uploads: sum(up, (l) => l.result === 'success'),
    received: sum(rtp, (l) => l.kind === 'received'),
    lost: sum(rtp, (l) => l.kind === 'lost'),
    late: sum(rtp, (l) => l.kind === 'late'),
    padded: sum(adjusted, (l) => l.kind === 'padded'),
    trimmed: sum(adjusted, (l) => l.kind === 'trimmed'),
  };
}

/** `seconds` of a tone as raw G.711 u-law (SIPp rtp_stream loops it for the whole call). */
function writeToneUlaw(path: string, freq: number, seconds: number): void {
  const n = 8000 * seconds;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000)));
  writeFileSync(path, out);
}

function scenario(dir: string, name: string, pcap: string, ms: number): string {
  const out = join(dir, name);
  writeFileSync(out, readFileSync(join(SCENARIO_DIR, name), 'utf8').replace(/@PCAP@/g, pcap).replace(/@MS@/g, String(ms)));
  return out;
}

async function waitUntil(pred: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return pred();
}

async function main(): Promise<void> {
  // As the service's entry point: npm's script runs this with --max-semi-space-size=4, as npm start does.
  youngGenerationForWorkers();
  const dir = mkdtempSync(join(tmpdir(), 'bench-rec-'));
  // The pcap outlasts the hold so both parties send until the BYE.
  const packets = Math.ceil((HOLD * 1000) / 20) + 50;
  let uac: string;
  let uas: string;
  if (STREAM) {
    writeToneUlaw(join(dir, 'caller.ulaw'), 1000, 2);
    writeToneUlaw(join(dir, 'callee.ulaw'), 400, 2);
    uac = scenario(dir, 'rec-bench-stream-uac.xml', join(dir, 'caller.ulaw'), HOLD * 1000);
    uas = scenario(dir, 'rec-bench-stream-uas.xml', join(dir, 'callee.ulaw'), 0);
  } else {
    writeTonePcap(join(dir, 'caller.pcap'), { pt: 0, freq: 1000, packets, ssrc: 0x1111 });
    writeTonePcap(join(dir, 'callee.pcap'), { pt: 0, freq: 400, packets, ssrc: 0x2222 });
    uac = scenario(dir, 'rec-bench-uac.xml', join(dir, 'caller.pcap'), HOLD * 1000);
    uas = scenario(dir, 'rec-bench-uas.xml', join(dir, 'callee.pcap'), 0);
  }

  const upload = await startUploadSink();
  const maxCalls = Math.max(...STEPS);
  const svc = await startTestService({
    // rtpengine: both parties' and the two subscriptions' RTP and RTCP, twice over; the recorder: two a call, twice over.
    rtpPorts: 16 * maxCalls + 200,
    recorderPorts: 4 * maxCalls + 200,
    config: {
      delivery: { allow: ['127.0.0.0/8'] },
      calls: { noAnswerTimeoutSec: 30, trunkAttemptTimeoutSec: 10 },
      // REC_JITTER_MS: the recorder's playout delay; a busier box needs more before packets count as late.
      recorder: {
        ...(process.env.REC_JITTER_MS ? { jitterMs: Number(process.env.REC_JITTER_MS) } : {}),
        ...(process.env.REC_THREADS ? { threads: Number(process.env.REC_THREADS) } : {}),
        // REC_ENCODER_NICE: recorder.encoderNice (idle by default; a niceness such as 10 is the competitor).
        ...(process.env.REC_ENCODER_NICE ? { encoderNice: process.env.REC_ENCODER_NICE === 'idle' ? 'idle' : Number(process.env.REC_ENCODER_NICE) } : {}),
        ...(process.env.REC_RECEIVE ? { receive: process.env.REC_RECEIVE as 'auto' | 'batched' | 'dgram' } : {}),
        overloadLagMs: process.env.REC_OVERLOAD_MS === undefined ? 'auto' : Number(process.env.REC_OVERLOAD_MS),
        ...(process.env.REC_BACKLOG_SEC ? { overloadBacklogSec: Number(process.env.REC_BACKLOG_SEC) } : {}),
      },
    },
  });
  const uasPort = await freePort(CALLEE);
  const acct = await svc.store.createAccount(null, {
    name: 'bench', realm: 'bench.test',
    call_recording: { account: { inbound: { offnet: { enabled: true, url: `${upload.url}/bench`, record_on_answer: true, format: REC.format, record_sample_rate: REC.rate, stereo: REC.stereo } } } },
  });
  await svc.store.create('resources', acct._id, { name: 'calling carrier', gateways: [{ server: CALLER }], rules: ['^$'] });
  await svc.store.create('resources', acct._id, { name: 'answering carrier', gateways: [{ server: CALLEE, port: uasPort }], rules: [`^${DID}$`] });
  await svc.store.create('callflows', acct._id, { numbers: [DID], flow: { module: 'resources', data: {} } });
  const rtpenginePid = svc.service.media?.process?.pid;
  const host = svc.service.recordings?.host;
  const threads = host instanceof RecorderThreads ? host : undefined;
  const spawnerPid = (host as { spawner?: { pid?: number } } | undefined)?.spawner?.pid;
  /** The recorder threads summed (CPU, memory) or at their worst (loop lag). */
  const workers = async (o: { gc: boolean; resetLag: boolean }): Promise<{ cpu: number; heap: number; lagP99: number; lagMax: number }> => {
    const all = threads ? await threads.usage(o) : [];
    return {
      cpu: all.reduce((a, u) => a + (u?.cpuSeconds ?? 0), 0),
      heap: all.reduce((a, u) => a + (u?.heapBytes ?? 0), 0),
      lagP99: Math.max(0, ...all.map((u) => u?.lagP99Ms ?? 0)),
      lagMax: Math.max(0, ...all.map((u) => u?.lagMaxMs ?? 0)),
    };
  };
  /** Live memory of the service's isolates (main thread, recorder threads), after a full GC each. */
  const liveHeap = async (): Promise<{ main: number; threads: number }> => {
    const main = await liveBytes();
    return { main, threads: (await workers({ gc: true, resetLag: false })).heap };
  };
  const mainCpu = (): number => statSeconds(`/proc/${process.pid}/task/${process.pid}/stat`);
  const lameCpu = (): number => (spawnerPid === undefined ? 0 : statSeconds(`/proc/${spawnerPid}/stat`, true));

  console.log(`bench:recordings  hold ${HOLD} s, steps ${STEPS.join(',')}, ${FORMAT} from the answer, recorder threads ${threads?.size ?? 0}, receive ${process.env.REC_RECEIVE ?? 'auto'}, uploads to ${upload.url}`);
  console.log('step  calls  failed  recordings(ok/part/disc/fail)  uploads  rtp received  lost  late  expected>=  cpu app  cpu rtpengine  cpu lame  cpu sipp  load1  loop lag p99/max ms       files checked  result');
  let best = 0;
  try {
    for (const n of STEPS) {
      const total = 2 * n;
      const rate = n / HOLD;
      const before = await counters(svc);
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      // GC pauses of this thread: the longest one is a floor for the loop lag above.
      const gc = { max: 0, total: 0 };
      const gcWatch = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          gc.max = Math.max(gc.max, e.duration);
          gc.total += e.duration;
        }
      });
      gcWatch.observe({ entryTypes: ['gc'] });
      const cpu0 = process.cpuUsage();
      const main0 = mainCpu();
      const work0 = (await workers({ gc: false, resetLag: true })).cpu;
      const spawnKids0 = lameCpu();
      const rss0 = process.memoryUsage().rss;
      const heap0 = await liveHeap();
      // Memory with every call up: SIPp ramps n calls over one hold and keeps n up for another.
      let mem = { rss: 0, heap: { main: 0, threads: 0 }, active: 0, lame: { n: 0, bytes: 0, own: 0 } };
      // The recorder threads' loop lag over the ramp and the full load, read before the
      // collections of the memory reading (their pauses are the measurement's, not the load's).
      let threadLag = { p99: NaN, max: NaN };
      const memTimer = setTimeout(() => {
        const rss = process.memoryUsage().rss;
        // One recording per call (the account's rule): calls up = recordings active.
        void workers({ gc: false, resetLag: false }).then(async (w) => {
          threadLag = { p99: w.lagP99, max: w.lagMax };
          const [calls, heap] = await Promise.all([svc.service.metrics.activeCalls.get(), liveHeap()]);
          mem = { rss, heap, active: calls.values.reduce((a, v) => a + v.value, 0), lame: lameRss(spawnerPid) };
        });
      }, 1.5 * HOLD * 1000);
      const rtp0 = processCpuSeconds(rtpenginePid);
      const t0 = Date.now();
      const callee = startSipp({
        scenario: uas, localPort: uasPort, timeoutMs: (3 * HOLD + 120) * 1000,
        args: ['-i', CALLEE, '-mi', CALLEE, '-mp', String(await freePort(CALLEE)), '-m', String(total)],
      });
      const caller = startSipp({
        scenario: uac, remote: svc.sipTarget, localPort: await freePort(CALLER), timeoutMs: (3 * HOLD + 120) * 1000,
        args: ['-i', CALLER, '-mi', CALLER, '-mp', String(await freePort(CALLER)), '-s', DID, '-l', String(n), '-r', rate.toFixed(3), '-rp', '1000', '-m', String(total)],
      });
      const sippCpu = trackCpu([caller.child.pid, callee.child.pid]);
      const kids0 = childrenCpuSeconds();
      const rc = await caller.done;
      // Calls the service refused never reach the answering carrier: it would wait for them.
      const calleeQuits = setTimeout(() => callee.child.kill('SIGUSR1'), 10_000);
      const re = await callee.done;
      clearTimeout(calleeQuits);
      const sippSec = sippCpu.stop();
      const settled = await waitUntil(async () => {
        const c = await counters(svc);
        const d = svc.service.recordings?.queue.depth();
        const finished = c.completed + c.partial + c.discarded + c.failed - before.completed - before.partial - before.discarded - before.failed;
        return finished >= total - (c.refused - before.refused) && c.uploads - before.uploads >= c.completed + c.partial - before.completed - before.partial && d !== undefined && d.pending + d.uploading === 0;
      }, 120_000);
      const secs = (Date.now() - t0) / 1000;
      const after = await counters(svc);
      const cpu = process.cpuUsage(cpu0);
      clearTimeout(memTimer);
      const mainSec = mainCpu() - main0;
      const workSec = (await workers({ gc: false, resetLag: false })).cpu - work0;
      const spawnKidsSec = lameCpu() - spawnKids0;
      lag.disable();
      gcWatch.disconnect();
      const rtp1 = processCpuSeconds(rtpenginePid);
      // Waited-for children over the step: the lame encoders plus the two SIPp (measured apart).
      const lameSec = Math.max(0, childrenCpuSeconds() - kids0 - sippSec) + spawnKidsSec;
      const d = (k: keyof Counters): number => after[k] - before[k];
      const failedCalls = (rc.stats?.failed ?? total) + (re.stats?.failed ?? 0);
      const refused = d('refused');
      const admitted = total - refused;
      // Each leg of each call: the pcap's packets minus those played before the fork was up (< 1 s).
      const expectedMin = admitted * 2 * (Math.floor((HOLD * 1000) / 20) - 50);
      // Decode a sample of this step's files: each channel's tone without a 20 ms gap.
      const sample = await upload.sample(dir, REC.format);
      let gaps = 0;
      for (const f of sample) {
        const dec = decode(f.path);
        // Mono: both tones in the one channel, each checked on its own frequency.
        const l = toneSpan(dec.ch[0], dec.sampleRate, 1000);
        const r = toneSpan(dec.ch[REC.stereo ? 1 : 0], dec.sampleRate, 400);
        // A channel whose tone is missing, starts late or stops early lost audio too.
        const short = (x: { firstSec: number; lastSec: number }): number =>
          x.firstSec < 0 || x.firstSec > 1 || x.lastSec < dec.durationSec - 1 ? 1 : 0;
        gaps += l.gaps + r.gaps + short(l) + short(r);
        if (l.gaps + r.gaps + short(l) + short(r) > 0) {
          // Keep the evidence: the file and where its tones start and end.
          const kept = join(dir, `gaps-${n}-${f.callId}.${REC.format}`);
          renameSync(f.path, kept);
          console.log(`  ${kept}: ${dec.durationSec.toFixed(2)} s; left ${l.firstSec.toFixed(2)}-${l.lastSec.toFixed(2)} gaps ${l.gaps}; right ${r.firstSec.toFixed(2)}-${r.lastSec.toFixed(2)} gaps ${r.gaps}`);
        }
      }
      const whole = gaps === 0 && settled && failedCalls === refused && d('completed') === admitted && d('uploads') === admitted && d('lost') === 0 && d('late') === 0 && d('received') >= expectedMin;
      const pass = whole && refused === 0;
      const result = pass ? 'PASS' : whole ? `GUARDED (${refused} refused)` : `FAIL${settled ? '' : ' (not settled)'}${rc.code !== 0 ? ` sipp ${rc.code}` : ''}${refused > 0 ? ` (${refused} refused)` : ''}`;
      console.log([
        String(n).padStart(4), String(total).padStart(6), String(failedCalls).padStart(7),
        `${d('completed')}/${d('partial')}/${d('discarded')}/${d('failed')}`.padStart(25), String(d('uploads')).padStart(8),
        String(d('received')).padStart(13), String(d('lost')).padStart(5), String(d('late')).padStart(5), String(expectedMin).padStart(11),
        `${(((cpu.user + cpu.system) / 1e6 / secs) * 100).toFixed(0)}%`.padStart(8),
        `${rtp0 !== null && rtp1 !== null ? (((rtp1 - rtp0) / secs) * 100).toFixed(0) : '?'}%`.padStart(14),
        `${((lameSec / secs) * 100).toFixed(0)}%`.padStart(9), `${((sippSec / secs) * 100).toFixed(0)}%`.padStart(9),
        loadavg()[0].toFixed(1).padStart(6),
        `${(lag.percentile(99) / 1e6).toFixed(0)}/${(lag.max / 1e6).toFixed(0)}`.padStart(18),
        `${sample.length} decoded, ${gaps} gaps`.padStart(20), result,
      ].join(' '));
      // CPU per concurrent call: each component's CPU-seconds over the step's call-seconds
      // (2N calls x HOLD), i.e. the share of one core one call costs; 2 cores / the sum is the
      // ceiling this machine would have if nothing else ran and nothing had to wait.
      const callSec = total * HOLD;
      const appSec = (cpu.user + cpu.system) / 1e6;
      const rtpSec = rtp0 !== null && rtp1 !== null ? rtp1 - rtp0 : 0;
      const per = (x: number): string => `${((x / callSec) * 100).toFixed(3)}%`;
      const sum = appSec + rtpSec + lameSec + sippSec;
      console.log(`      step ${secs.toFixed(0)} s, per concurrent call: app ${per(appSec)} rtpengine ${per(rtpSec)} lame ${per(lameSec)} SIPp ${per(sippSec)} = ${per(sum)} of a core -> ceiling ~${(2 / (sum / callSec)).toFixed(0)} calls on 2 cores; main-thread GC ${(gc.total / 1000).toFixed(1)} s, longest pause ${gc.max.toFixed(0)} ms`);
      const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
      console.log(`      recorder threads' loop lag p99/max ${threadLag.p99.toFixed(0)}/${threadLag.max.toFixed(0)} ms (first 1.5 holds; jitter delay ${process.env.REC_JITTER_MS ?? 500} ms); anchor moves put in ${d('padded').toFixed(2)} s of silence and trimmed ${d('trimmed').toFixed(2)} s over ${2 * admitted} legs`);
      console.log(`      app split per call: main thread ${per(mainSec)}, recorder threads ${per(workSec)}, other threads ${per(Math.max(0, appSec - mainSec - workSec))}; memory per active recording (${mem.active} active): live heap ${mem.active ? `${kib((mem.heap.main + mem.heap.threads - heap0.main - heap0.threads) / mem.active)} = main thread ${kib((mem.heap.main - heap0.main) / mem.active)} + recorder threads ${kib((mem.heap.threads - heap0.threads) / mem.active)}` : '?'} (goal <= 256 KiB; ${HEAP_NOTE}), service RSS ${mem.rss ? kib((mem.rss - rss0) / Math.max(1, mem.active)) : '?'}, lame ${mem.lame.n ? `${kib(mem.lame.bytes / mem.lame.n)} RSS, ${kib(mem.lame.own / mem.lame.n)} private` : '?'} each (${mem.lame.n} running)`);
      if (!pass) break;
      best = n;
    }
  } finally {
    console.log(`most concurrent recorded calls sustained with no packet missing: ${best} (goal 400)`);
    await svc.close();
    await upload.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
