import type { Logger } from 'pino';
import type { AccountDoc, DocumentStore, StoredDoc } from '../store';
import { effectiveRetention, expired, type Retention } from './retention';

/** What the sweeper needs from the recordings side (the delivery queue and its store mirror). */
export interface RecordingRemover {
  /** Deletes the recording's kept file and, with `record`, its records (queue and store). */
  remove(id: string, what: { record: boolean }): Promise<{ file: boolean; record: boolean }>;
}

export interface SweeperDeps {
  store: DocumentStore;
  recordings: RecordingRemover;
  logger: Logger;
  /** Injected so tests move time instead of waiting. */
  now?: () => number;
  /** A call record deleted (recordings are counted by the remover). */
  onCdrDeleted?: () => void;
}

export interface SweepResult {
  cdr: number;
  recording: number;
  file: number;
  /** True when the batch bound stopped the sweep (the next sweep continues). */
  more: boolean;
}

/** Recording end in ms from a recordings document (start_ms + duration_ms). */
function recordingEnd(d: StoredDoc): number {
  const start = typeof d.start_ms === 'number' ? d.start_ms : NaN;
  return start + (typeof d.duration_ms === 'number' ? d.duration_ms : 0);
}

/** Call end in ms from a call record (timestamp_end, Unix seconds). */
function callEnd(d: StoredDoc): number {
  return typeof d.timestamp_end === 'number' ? d.timestamp_end * 1000 : NaN;
}

/**
 * Enforces every account's retention: at most `batch` deletions per sweep (a large backlog is
 * worked off over several sweeps without holding the store), every `intervalMs`.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly d: SweeperDeps, private readonly intervalMs: number, private readonly batch: number) {
    this.now = d.now ?? Date.now;
    this.log = d.logger.child({ part: 'retention' });
  }

  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => void this.sweep().catch((err: Error) => this.log.error({ err: err.message }, 'retention sweep failed')), this.intervalMs);
    this.timer.unref();
  }

  /** One sweep (concurrent calls share it). */
  sweep(): Promise<SweepResult> {
    this.running ??= this.sweepNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async sweepNow(): Promise<SweepResult> {
    const res: SweepResult = { cdr: 0, recording: 0, file: 0, more: false };
    const accounts = (await this.d.store.findBy('accounts', 'pvt_type', 'account')) as AccountDoc[];
    const byId = new Map(accounts.map((a) => [a._id, a]));
    const now = this.now();
    let budget = this.batch;
    for (const account of accounts) {
      const chain = [...account.pvt_tree.map((id) => byId.get(id)), account].map((a) => a?.retention as Retention | undefined);
      const r = effectiveRetention(chain);
      if (r.cdr_days !== undefined) {
        for (const d of await this.d.store.list('calls', account._id)) {
          if (!expired(callEnd(d), r.cdr_days, now)) continue;
          if (budget-- <= 0) return { ...res, more: true };
          await this.d.store.delete('calls', d._id, { hard: true });
          res.cdr++;
          this.d.onCdrDeleted?.();
        }
      }
      if (r.recordings_days === undefined && r.files_days === undefined) continue;
      for (const d of await this.d.store.list('recordings', account._id)) {
        const end = recordingEnd(d);
        const whole = expired(end, r.recordings_days, now);
        if (!whole && !(d.file_kept === true && expired(end, r.files_days, now))) continue;
        if (budget-- <= 0) return { ...res, more: true };
        const done = await this.d.recordings.remove(d._id, { record: whole });
        if (done.record) res.recording++;
        if (done.file) res.file++;
        this.log.info({ accountId: account._id, recordingId: d._id, record: done.record, file: done.file }, whole ? 'retention: recording deleted' : 'retention: kept file deleted');
      }
    }
    if (res.cdr + res.recording + res.file > 0) this.log.info(res, 'retention sweep');
    return res;
  }
}
