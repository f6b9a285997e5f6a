import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, accountPath, type Session } from './api';
import { NO_FILTERS, choices, formatDuration, formatTime, matches, sorted, type Filters, type RecordingRow, type Sort, type SortKey } from './filter';
import { Player } from './player';

const PAGE = 20;

function Select({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <label for={id}>
      {label}
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">any</option>
        {options.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    </label>
  );
}

function Field({ id, label, type, value, onChange }: { id: string; label: string; type: 'date' | 'search' | 'number'; value: string; onChange: (v: string) => void }) {
  return (
    <label for={id}>
      {label}
      {type === 'number' ? <input id={id} type="number" min={0} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
        : type === 'date' ? <input id={id} type="date" value={value} onInput={(e) => onChange(e.currentTarget.value)} />
          : <input id={id} type="search" value={value} onInput={(e) => onChange(e.currentTarget.value)} />}
    </label>
  );
}

const COLUMNS: [SortKey | null, string][] = [
  ['start', 'Start'], [null, 'Direction'], ['from', 'From'], ['to', 'To'], [null, 'Origin'], ['duration_ms', 'Duration'],
  ['status', 'Status'], [null, 'Media'], [null, 'Last error'], [null, 'Actions'],
];

export function Recordings({ session }: { session: Session }) {
  const [rows, setRows] = useState<RecordingRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [sort, setSort] = useState<Sort>({ key: 'start', desc: true });
  const [page, setPage] = useState(0);
  const [playing, setPlaying] = useState<RecordingRow | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = async (): Promise<void> => {
    setLoading(true);
    try {
      setRows(await api<RecordingRow[]>(session, 'GET', accountPath(session, 'recordings')));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [session.token]);

  const shown = useMemo(() => sorted(rows.filter((r) => matches(r, filters)), sort), [rows, filters, sort]);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages - 1);
  const set = (k: keyof Filters) => (v: string) => { setFilters({ ...filters, [k]: v }); setPage(0); };

  const retry = async (r: RecordingRow): Promise<void> => {
    try {
      await api(session, 'POST', accountPath(session, `recordings/${encodeURIComponent(r.id)}`), { data: { action: 'retry' } });
      setNotice(`Recording ${r.id} queued for upload again.`);
      await load();
    } catch (e) {
      setNotice(`Retry failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  /** GDPR erasure: the file and the record go for good (DELETE .../recordings/{id}), after a confirmation. */
  const remove = async (r: RecordingRow): Promise<void> => {
    if (!window.confirm(`Delete the recording ${r.from ?? ''} to ${r.to ?? ''} at ${formatTime(r.start)} for good?`)) return;
    try {
      await api(session, 'DELETE', accountPath(session, `recordings/${encodeURIComponent(r.id)}`));
      if (playing?.id === r.id) setPlaying(null);
      setNotice(`Recording ${r.id} deleted.`);
      await load();
    } catch (e) {
      setNotice(`Delete failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  return (
    <section aria-labelledby="rec-title">
      <h2 id="rec-title">Recordings</h2>
      <form class="filters" role="search" aria-label="Filter recordings" onSubmit={(e) => e.preventDefault()}>
        <Field id="f-from" label="From date" type="date" value={filters.from} onChange={set('from')} />
        <Field id="f-to" label="To date" type="date" value={filters.to} onChange={set('to')} />
        <Select id="f-direction" label="Direction" value={filters.direction} options={choices(rows, 'direction')} onChange={set('direction')} />
        <Field id="f-party" label="Party" type="search" value={filters.party} onChange={set('party')} />
        <Select id="f-origin" label="Origin" value={filters.origin} options={choices(rows, 'origin')} onChange={set('origin')} />
        <Select id="f-status" label="Status" value={filters.status} options={choices(rows, 'status')} onChange={set('status')} />
        <Select id="f-media" label="Media status" value={filters.mediaStatus} options={choices(rows, 'media_status')} onChange={set('mediaStatus')} />
        <Field id="f-min" label="Min. seconds" type="number" value={filters.minSec} onChange={set('minSec')} />
        <Field id="f-max" label="Max. seconds" type="number" value={filters.maxSec} onChange={set('maxSec')} />
        <button type="button" onClick={() => { setFilters(NO_FILTERS); setPage(0); }}>Clear filters</button>
        <button type="button" onClick={() => void load()}>Reload</button>
      </form>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {notice !== null && <p role="status">{notice}</p>}
      <p role="status" id="rec-count">{loading ? 'Loading…' : `${shown.length} of ${rows.length} recordings`}</p>
      <table id="recordings">
        <thead>
          <tr>
            {COLUMNS.map(([key, label]) => (
              <th key={label} scope="col" aria-sort={key === sort.key ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                {key === null ? label : (
                  <button type="button" class="sort" onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : false })}>
                    {label}{key === sort.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
                  </button>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.slice(current * PAGE, (current + 1) * PAGE).map((r) => (
            <tr key={r.id} data-id={r.id}>
              <td>{formatTime(r.start)}</td>
              <td>{r.direction ?? ''}</td>
              <td>{r.from ?? ''}</td>
              <td>{r.to ?? ''}</td>
              <td>{r.origin ?? ''}{r.label !== null ? ` (${r.label})` : ''}</td>
              <td>{formatDuration(r.duration_ms)}</td>
              <td class={`status ${r.status ?? ''}`}>{r.status ?? ''}{r.attempts > 1 ? ` (${r.attempts} attempts)` : ''}</td>
              <td>{r.media_status ?? ''}</td>
              <td class="last-error">{r.last_error ? `${r.last_error.code}: ${r.last_error.message}` : ''}</td>
              <td>
                <button type="button" onClick={() => setPlaying(r)} aria-label={`Play recording ${r.from ?? ''} to ${r.to ?? ''} at ${formatTime(r.start)}`}>Play</button>
                {r.status === 'failed' && <button type="button" onClick={() => void retry(r)}>Retry upload</button>}
                <button type="button" class="danger" onClick={() => void remove(r)} aria-label={`Delete recording ${r.from ?? ''} to ${r.to ?? ''} at ${formatTime(r.start)}`}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>Previous</button>
        <span>Page {current + 1} of {pages}</span>
        <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>Next</button>
      </nav>
      {playing !== null && <Player session={session} rec={playing} onClose={() => setPlaying(null)} />}
    </section>
  );
}
