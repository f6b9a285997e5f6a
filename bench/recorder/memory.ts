/**
 * Live memory per recording session (issue 14 item 5's 256 KiB goal), from the V8 heap rather
 * than RSS: `calls` RecordingSessions as a recorder thread hosts them (InThreadEncoders: the
 * resampler and lame's pipe in the same thread), MP3 16 kHz stereo, fed in real time by the
 * sender process. After a full GC at each point (run node with --expose-gc), heap in use plus
 * external memory (Buffers, typed arrays) over the sessions: opened (sockets bound), recording
 * (lame started, nothing received yet), and in steady state while packets flow. Kernel socket
 * buffers and lame's own memory are outside the heap and not in these figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InThreadEncoders } from '../../src/recorder/encoder/output-job';
import { RecordingSession } from '../../src/recorder/session';
import { runSender } from './net';
import { liveBytes } from '../../src/recorder/remote/live-bytes';

async function live(): Promise<number> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('run node with --expose-gc');
  return liveBytes();
}

export interface SessionMemory {
  readonly calls: number;
  /** Bytes per session: sockets bound, after record()+begin(), steady state with media flowing. */
  readonly opened: number;
  readonly recording: number;
  readonly flowing: number;
}

export async function sessionMemory(calls: number, seconds: number, jitterMs?: number): Promise<SessionMemory> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const encoders = new InThreadEncoders();
  const sessions: RecordingSession[] = [];
  try {
    const base = await live();
    for (let i = 0; i < calls; i++) sessions.push(new RecordingSession({ callId: `mem-${i}`, pool: encoders, spoolDir: dir, ...(jitterMs !== undefined ? { jitterMs } : {}) }));
    const ports: number[] = [];
    for (const s of sessions) for (const e of await s.start()) ports.push(e.port);
    const opened = await live();
    for (const s of sessions) s.record({ format: 'mp3', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0, encoderNice: 'idle' }).begin();
    const recording = await live();
    const sending = runSender(ports, seconds + 1);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const flowing = await live();
    await sending;
    return { calls, opened: (opened - base) / calls, recording: (recording - base) / calls, flowing: (flowing - base) / calls };
  } finally {
    await Promise.all(sessions.map((s) => s.close('hangup')));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function memoryLine(m: SessionMemory): string {
  const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
  return `live memory per recording session (${m.calls} sessions, MP3 16 kHz stereo, heap in use + external after a full GC): sockets bound ${kib(m.opened)}, recording ${kib(m.recording)}, media flowing ${kib(m.flowing)} (goal <= 256 KiB)`;
}
