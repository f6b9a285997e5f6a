/**
 * The recordings list's filters, sort and paging, applied in the page to the list the API
 * returns whole (GET .../recordings has no query parameters).
 */

export interface RecordingRow {
  id: string;
  call_id: string | null;
  origin: string | null;
  label: string | null;
  direction: string | null;
  from: string | null;
  to: string | null;
  /** Unix seconds. */
  start: number | null;
  duration_ms: number | null;
  media_type: string | null;
  size: number | null;
  status: string | null;
  attempts: number;
  last_error: { code: string; message: string; at?: number } | null;
  media_status: string | null;
  media_error: unknown;
  /** Paused stretches (PCI): silence in the file at offset_ms, or cut out there when omitted. */
  paused_intervals?: PausedInterval[];
}

export interface PausedInterval {
  offset_ms: number;
  duration_ms: number;
  omitted: boolean;
}

export interface Filters {
  /** yyyy-mm-dd, local time, inclusive; '' for none. */
  from: string;
  to: string;
  direction: string;
  party: string;
  origin: string;
  status: string;
  mediaStatus: string;
  /** Seconds; '' for none. */
  minSec: string;
  maxSec: string;
}

export const NO_FILTERS: Filters = { from: '', to: '', direction: '', party: '', origin: '', status: '', mediaStatus: '', minSec: '', maxSec: '' };

export type SortKey = 'start' | 'duration_ms' | 'from' | 'to' | 'status';
export interface Sort {
  key: SortKey;
  desc: boolean;
}

function dayStart(d: string): number {
  return new Date(`${d}T00:00:00`).getTime() / 1000;
}

export function matches(r: RecordingRow, f: Filters): boolean {
  if (f.from !== '' && (r.start ?? 0) < dayStart(f.from)) return false;
  if (f.to !== '' && (r.start ?? 0) >= dayStart(f.to) + 86_400) return false;
  if (f.direction !== '' && r.direction !== f.direction) return false;
  if (f.origin !== '' && r.origin !== f.origin) return false;
  if (f.status !== '' && r.status !== f.status) return false;
  if (f.mediaStatus !== '' && r.media_status !== f.mediaStatus) return false;
  const party = f.party.trim().toLowerCase();
  if (party !== '' && !`${r.from ?? ''} ${r.to ?? ''}`.toLowerCase().includes(party)) return false;
  const sec = (r.duration_ms ?? 0) / 1000;
  if (f.minSec !== '' && sec < Number(f.minSec)) return false;
  if (f.maxSec !== '' && sec > Number(f.maxSec)) return false;
  return true;
}

export function sorted(rows: readonly RecordingRow[], s: Sort): RecordingRow[] {
  const val = (r: RecordingRow): string | number => r[s.key] ?? '';
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return s.desc ? -c : c;
  });
}

/** The distinct non-null values of a field, for a filter's choices. */
export function choices(rows: readonly RecordingRow[], key: 'direction' | 'origin' | 'status' | 'media_status'): string[] {
  return [...new Set(rows.map((r) => r[key]).filter((v): v is string => typeof v === 'string'))].sort();
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatTime(unix: number | null): string {
  return unix === null ? '' : new Date(unix * 1000).toLocaleString();
}
