import { RecordingPauseError } from './errors';

/**
 * Pause and resume of a recording (PCI-DSS: a card number read out must not reach the file).
 * Pure: positions are on the call's clock in 8 kHz samples, wall-clock times are inputs.
 */

/** What a paused stretch becomes in the file: digital silence (default) or nothing at all. */
export type PauseMode = 'silence' | 'omit';

/** One paused stretch as the recording's metadata reports it. */
export interface PausedInterval {
  /** Where it is in the file, ms from the file's first sample (in omit mode: where the cut is). */
  readonly offsetMs: number;
  /** How long it lasted in call time, ms (in omit mode the file is that much shorter). */
  readonly durationMs: number;
  /** Wall clock (Unix epoch ms) of the pause and of the resume (or of the recording's end). */
  readonly startedAt: number;
  readonly endedAt: number;
  /** True in omit mode: the stretch is not in the file (offsetMs is the cut), else it is silence there. */
  readonly omitted: boolean;
}

/** A stretch of [from, to) on the call's clock, paused or not. */
export interface Run {
  readonly from: number;
  readonly to: number;
  readonly paused: boolean;
}

interface Pause {
  readonly from: number;
  to: number;
  readonly startedAt: number;
  endedAt: number | null;
}

const SAMPLES_PER_MS = 8;

export class PauseLog {
  private readonly list: Pause[] = [];

  get paused(): boolean {
    const last = this.list.at(-1);
    return last !== undefined && last.endedAt === null;
  }

  /** Pauses from `pos` on; throws RecordingPauseError RECORDING_ALREADY_PAUSED when paused. */
  pause(pos: number, wall: number): void {
    if (this.paused) throw new RecordingPauseError('RECORDING_ALREADY_PAUSED');
    const last = this.list.at(-1);
    // Positions only grow; a pause never starts inside the previous one.
    this.list.push({ from: Math.max(pos, last?.to ?? pos), to: Number.POSITIVE_INFINITY, startedAt: wall, endedAt: null });
  }

  /** Resumes at `pos`; throws RecordingPauseError RECORDING_NOT_PAUSED when not paused. */
  resume(pos: number, wall: number): void {
    const last = this.list.at(-1);
    if (last === undefined || last.endedAt !== null) throw new RecordingPauseError('RECORDING_NOT_PAUSED');
    last.to = Math.max(pos, last.from);
    last.endedAt = wall;
  }

  /** Whether any pause was ever made (feed's fast path when not). */
  get any(): boolean {
    return this.list.length > 0;
  }

  /** [from, to) cut at the pauses' edges, in order. */
  runs(from: number, to: number): Run[] {
    const out: Run[] = [];
    let cursor = from;
    for (const p of this.list) {
      if (p.to <= cursor) continue;
      if (p.from >= to) break;
      if (p.from > cursor) out.push({ from: cursor, to: p.from, paused: false });
      const end = Math.min(p.to, to);
      if (end > Math.max(p.from, cursor)) out.push({ from: Math.max(p.from, cursor), to: end, paused: true });
      cursor = end;
    }
    if (cursor < to) out.push({ from: cursor, to, paused: false });
    return out;
  }

  /**
   * The pauses within the recorded window [begin, end) as file offsets: in silence mode the
   * file keeps the call's timeline, in omit mode every earlier pause moves the next one back.
   * A pause still open at the end lasts until `end` (wall clock `endWall`).
   */
  intervals(begin: number, end: number, mode: PauseMode, endWall: number): PausedInterval[] {
    const out: PausedInterval[] = [];
    let omitted = 0;
    for (const p of this.list) {
      const a = Math.max(p.from, begin);
      const b = Math.min(p.to, end);
      if (a >= end || b < a) continue;
      out.push({
        offsetMs: (a - begin - omitted) / SAMPLES_PER_MS,
        durationMs: (b - a) / SAMPLES_PER_MS,
        startedAt: p.startedAt,
        endedAt: p.endedAt ?? endWall,
        omitted: mode === 'omit',
      });
      if (mode === 'omit') omitted += b - a;
    }
    return out;
  }
}
