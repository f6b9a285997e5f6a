import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeRun } from './ports';

/** Where the shipped scenarios live (dist/test/helpers -> repo root). */
export const SCENARIO_DIR = resolve(__dirname, '..', '..', '..', 'sipp-scenarios');

/**
 * A shipped template scenario with its @NAME@ placeholders filled in (SIPp expands -key values
 * in messages, not in exec/pause attributes), written under `dir`; returns its path.
 */
export function scenarioFrom(name: string, values: Record<string, string>, dir: string): string {
  let text = readFileSync(join(SCENARIO_DIR, name), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`@${k}@`, v);
  const out = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  writeFileSync(out, text);
  return out;
}

export interface SippOptions {
  /** Scenario file name under sipp-scenarios/ or an absolute path; or a built-in like 'uac'. */
  scenario: string;
  /** Remote host:port (omitted for a pure UAS). */
  remote?: string;
  localPort: number;
  /** Extra command-line arguments, e.g. ['-m', '10', '-r', '5', '-t', 't1']. */
  args?: string[];
  /** Kill sipp after this long (ms); every wait has a bound. */
  timeoutMs?: number;
  /** Collect every response-time sample (-trace_rtt) into `SippResult.rtt`. */
  rtt?: boolean;
}

export interface SippStats {
  successful: number;
  failed: number;
  retransmissions: number;
}

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  stats: SippStats | null;
  /** Contents of the error file (-trace_err), useful in assertion messages. */
  errors: string;
  /** With `rtt`: per response-time timer of the scenario (rtd name), every sample in ms. */
  rtt: Map<string, number[]>;
}

/** A started SIPp process: wait for it with `done`, or stop it with `stop()`. */
export interface SippProcess {
  child: ChildProcess;
  done: Promise<SippResult>;
  stop(): void;
}

/**
 * A port for SIPp's `-mp`: SIPp binds it and the one two above (its audio and video echo
 * sockets, seen with `ss`), so all three are claimed, not the first alone.
 */
export function sippMediaPort(host = '127.0.0.1'): Promise<number> {
  return freeRun(3, host);
}

export function startSipp(o: SippOptions): SippProcess {
  const work = mkdtempSync(join(tmpdir(), 'sipp-'));
  const statFile = join(work, 'stat.csv');
  const errFile = join(work, 'err.log');
  const builtIn = /^(uac|uas|regexp|3pcc-.*|branchc|branchs|uac_pcap)$/.test(o.scenario);
  const scen = builtIn ? ['-sn', o.scenario] : ['-sf', o.scenario.startsWith('/') ? o.scenario : join(SCENARIO_DIR, o.scenario)];
  const argv = [
    ...(o.remote ? [o.remote] : []),
    ...scen,
    '-i', '127.0.0.1',
    '-p', String(o.localPort),
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_err', '-error_file', errFile,
    ...(o.rtt ? ['-trace_rtt', '-rtt_freq', '1'] : []),
    ...(o.args ?? []),
  ];
  const child = spawn('sipp', argv, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout = (stdout + d.toString()).slice(-20000); });
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-20000); });
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60000);
  const done = new Promise<SippResult>((res) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const stats = readStats(statFile);
      const errors = existsSync(errFile) ? readFileSync(errFile, 'utf8').slice(-5000) : '';
      const rtt = readRtt(work);
      rmSync(work, { recursive: true, force: true });
      res({ code, stdout, stderr, stats, errors, rtt });
    });
  });
  return { child, done, stop: () => child.kill('SIGUSR1') };
}

export function runSipp(o: SippOptions): Promise<SippResult> {
  return startSipp(o).done;
}

/** Last row of SIPp's statistics CSV (cumulative columns). */
function readStats(file: string): SippStats | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return null;
  const head = lines[0].split(';');
  const row = lines[lines.length - 1].split(';');
  const col = (name: string): number => {
    const i = head.indexOf(name);
    return i >= 0 ? Number(row[i]) : NaN;
  };
  return {
    successful: col('SuccessfulCall(C)'),
    failed: col('FailedCall(C)'),
    retransmissions: col('Retransmissions(C)'),
  };
}

/** SIPp's -trace_rtt file (<scenario>_<pid>_rtt.csv: Date_ms;response_time_ms;rtd_no), by timer. */
function readRtt(dir: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const file = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  if (!file) return out;
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n').slice(1)) {
    const [, ms, name] = line.split(';');
    if (name === undefined || ms === undefined) continue;
    const list = out.get(name.trim()) ?? [];
    list.push(Number(ms));
    out.set(name.trim(), list);
  }
  return out;
}
