import { useEffect, useState } from 'preact/hooks';
import { api, accountPath, type Session } from './api';
import { formatTime, type RecordingRow } from './filter';

interface Registration {
  username: string;
  realm: string;
  contact: string;
  expires: number;
  source_ip: string;
  source_port: number;
}

interface ProviderRegistration {
  resource_id: string;
  gateway: number;
  server: string;
  username: string;
  state: string;
  last_status?: number;
  last_error?: string;
  failures: number;
}

interface Ops {
  registrations: Registration[];
  providers: ProviderRegistration[];
  recordings: RecordingRow[];
}

const RECENT_FAILURES = 10;

/**
 * The account's operations at a glance: phones registered, our registrations to its providers,
 * its recordings waiting in the upload queue by status and the latest failures. Counted from
 * the account's own records (tenancy), not from /metrics, which is the whole service's.
 */
export function Operations({ session }: { session: Session }) {
  const [ops, setOps] = useState<Ops | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (): Promise<void> => {
    try {
      const [registrations, providers, recordings] = await Promise.all([
        api<Registration[]>(session, 'GET', accountPath(session, 'registrations')),
        api<ProviderRegistration[]>(session, 'GET', accountPath(session, 'resources/registrations')),
        api<RecordingRow[]>(session, 'GET', accountPath(session, 'recordings')),
      ]);
      setOps({ registrations, providers, recordings });
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => { void load(); }, [session.token]);

  const queue = new Map<string, number>();
  for (const r of ops?.recordings ?? []) if (r.status === 'pending' || r.status === 'uploading' || r.status === 'failed') queue.set(r.status, (queue.get(r.status) ?? 0) + 1);
  const failures = (ops?.recordings ?? []).filter((r) => r.last_error !== null)
    .sort((a, b) => (b.last_error?.at ?? 0) - (a.last_error?.at ?? 0)).slice(0, RECENT_FAILURES);

  return (
    <section aria-labelledby="ops-title">
      <h2 id="ops-title">Operations</h2>
      <button type="button" onClick={() => void load()}>Reload</button>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {ops === null && error === null && <p>Loading…</p>}
      {ops !== null && (
        <>
          <h3>Upload queue</h3>
          <p id="ops-queue">
            {['pending', 'uploading', 'failed'].map((s) => `${s}: ${queue.get(s) ?? 0}`).join(' · ')}
          </p>
          <h3>Registered phones ({ops.registrations.length})</h3>
          <table id="ops-registrations">
            <thead><tr>{['User', 'Contact', 'From', 'Expires in'].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
            <tbody>
              {ops.registrations.map((r) => (
                <tr key={r.contact}><td>{r.username}@{r.realm}</td><td>{r.contact}</td><td>{r.source_ip}:{r.source_port}</td><td>{r.expires} s</td></tr>
              ))}
            </tbody>
          </table>
          <h3>Registrations to providers ({ops.providers.length})</h3>
          <table id="ops-providers">
            <thead><tr>{['Resource', 'Server', 'User', 'State', 'Last status', 'Failures', 'Last error'].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
            <tbody>
              {ops.providers.map((p) => (
                <tr key={`${p.resource_id}/${p.gateway}`}>
                  <td>{p.resource_id} #{p.gateway}</td><td>{p.server}</td><td>{p.username}</td><td>{p.state}</td>
                  <td>{p.last_status ?? ''}</td><td>{p.failures}</td><td>{p.last_error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Recent upload failures</h3>
          <table id="ops-failures">
            <thead><tr>{['Recording start', 'From', 'To', 'Status', 'Error', 'When'].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
            <tbody>
              {failures.map((r) => (
                <tr key={r.id}>
                  <td>{formatTime(r.start)}</td><td>{r.from ?? ''}</td><td>{r.to ?? ''}</td><td>{r.status ?? ''}</td>
                  <td class="last-error">{r.last_error ? `${r.last_error.code}: ${r.last_error.message}` : ''}</td>
                  <td>{r.last_error?.at !== undefined ? new Date(r.last_error.at).toLocaleString() : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
