import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, accountPath, type Session } from './api';

/**
 * The `call_recording` settings of the account, its users and devices as a form (Kazoo's slots:
 * inbound/outbound x onnet/offnet with enabled, format and url), saved by PATCH with the API's
 * field errors shown next to the fields; and, for a caller and a callee device, what the policy
 * module decides for each call type (GET .../call_recording/preview; the page does not decide).
 */

type Slot = { enabled?: boolean; format?: string; url?: string };
type Slots = Record<string, Record<string, Slot | undefined> | undefined>;
interface Doc { id: string; name?: string; first_name?: string; last_name?: string; call_recording?: Record<string, unknown> }
interface Preview { caller: string; callee: string; recordings: { by: string; origin: string; format: string; url: string | null }[] }

const DIRS = ['inbound', 'outbound'];
const NETS = ['onnet', 'offnet'];

function label(kind: string, d: Doc): string {
  const n = d.name ?? [d.first_name, d.last_name].filter(Boolean).join(' ');
  return `${kind} ${n || d.id}`;
}

export function Policy({ session }: { session: Session }) {
  const [users, setUsers] = useState<Doc[]>([]);
  const [devices, setDevices] = useState<Doc[]>([]);
  const [target, setTarget] = useState('account');
  const [slots, setSlots] = useState<Slots>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [callerDev, setCallerDev] = useState('');
  const [calleeDev, setCalleeDev] = useState('');
  const [preview, setPreview] = useState<Preview[] | null>(null);

  const docPath = (t: string): string => (t === 'account' ? `/v2/accounts/${encodeURIComponent(session.accountId)}` : accountPath(session, t));
  useEffect(() => {
    void (async () => {
      try {
        setUsers(await api<Doc[]>(session, 'GET', accountPath(session, 'users')));
        setDevices(await api<Doc[]>(session, 'GET', accountPath(session, 'devices')));
      } catch (e) {
        setNotice(e instanceof Error ? e.message : String(e));
      }
    })();
  }, [session.token]);
  useEffect(() => {
    setErrors({});
    void api<Doc>(session, 'GET', docPath(target)).then((d) => {
      const cr = d.call_recording ?? {};
      setSlots(((target === 'account' ? cr['account'] : cr) ?? {}) as Slots);
    }, (e: unknown) => setNotice(e instanceof Error ? e.message : String(e)));
  }, [target, session.token]);

  const setSlot = (dir: string, net: string, patch: Slot): void => {
    const d = { ...(slots[dir] ?? {}) };
    d[net] = { ...(d[net] ?? {}), ...patch };
    setSlots({ ...slots, [dir]: d });
  };
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const current = await api<Doc>(session, 'GET', docPath(target));
      const cr = target === 'account' ? { ...(current.call_recording ?? {}), account: slots } : slots;
      await api(session, 'PATCH', docPath(target), { data: { call_recording: cr } });
      setErrors({});
      setNotice('Saved.');
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 400 && typeof err.data === 'object' && err.data !== null) {
        const out: Record<string, string> = {};
        for (const [key, rules] of Object.entries(err.data as Record<string, Record<string, { message?: string }>>)) {
          out[key] = Object.values(rules).map((r) => r.message ?? '').join('; ');
        }
        setErrors(out);
        setNotice('Not saved: see the fields marked.');
      } else setNotice(`Not saved: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const errorOf = (dir: string, net: string, field: string): string | undefined =>
    Object.entries(errors).find(([k]) => k.endsWith(`${dir}.${net}.${field}`))?.[1];
  const ask = async (): Promise<void> => {
    const q = new URLSearchParams({ caller_device_id: callerDev, callee_device_id: calleeDev });
    try {
      setPreview(await api<Preview[]>(session, 'GET', `${accountPath(session, 'call_recording/preview')}?${q.toString()}`));
    } catch (e) {
      setNotice(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <section aria-labelledby="policy-title">
      <h2 id="policy-title">Recording policy</h2>
      {notice !== null && <p role="status" id="policy-notice">{notice}</p>}
      <form onSubmit={(e) => void save(e)} aria-label="call_recording settings">
        <label for="p-target">Settings of</label>
        <select id="p-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
          <option value="account">the account</option>
          {users.map((u) => <option key={u.id} value={`users/${u.id}`}>{label('user', u)}</option>)}
          {devices.map((d) => <option key={d.id} value={`devices/${d.id}`}>{label('device', d)}</option>)}
        </select>
        <table id="policy-slots">
          <thead><tr>{['Call', 'Enabled', 'Format', 'Upload URL'].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {DIRS.flatMap((dir) => NETS.map((net) => {
              const s = slots[dir]?.[net] ?? {};
              const id = `p-${dir}-${net}`;
              const urlErr = errorOf(dir, net, 'url');
              return (
                <tr key={id}>
                  <th scope="row">{dir} {dir === 'inbound' ? 'from' : 'to'} {net}</th>
                  <td><input id={`${id}-enabled`} type="checkbox" checked={s.enabled === true} aria-label={`${dir} ${net} enabled`} onChange={(e) => setSlot(dir, net, { enabled: e.currentTarget.checked })} /></td>
                  <td>
                    <select id={`${id}-format`} aria-label={`${dir} ${net} format`} value={s.format ?? ''} onChange={(e) => setSlot(dir, net, { format: e.currentTarget.value || undefined })}>
                      <option value="">default</option><option value="mp3">mp3</option><option value="wav">wav</option>
                    </select>
                  </td>
                  <td>
                    <input id={`${id}-url`} type="text" size={40} aria-label={`${dir} ${net} upload URL`} value={s.url ?? ''}
                      aria-invalid={urlErr !== undefined} aria-describedby={urlErr !== undefined ? `${id}-url-error` : undefined}
                      onInput={(e) => setSlot(dir, net, { url: e.currentTarget.value || undefined })} />
                    {urlErr !== undefined && <span id={`${id}-url-error`} class="error field-error">{urlErr}</span>}
                  </td>
                </tr>
              );
            }))}
          </tbody>
        </table>
        <button type="submit">Save settings</button>
      </form>
      <h3>Who records which call</h3>
      <label for="p-caller">Calling phone</label>
      <select id="p-caller" value={callerDev} onChange={(e) => setCallerDev(e.currentTarget.value)}>
        <option value="">none</option>
        {devices.map((d) => <option key={d.id} value={d.id}>{label('device', d)}</option>)}
      </select>
      <label for="p-callee">Called phone</label>
      <select id="p-callee" value={calleeDev} onChange={(e) => setCalleeDev(e.currentTarget.value)}>
        <option value="">none</option>
        {devices.map((d) => <option key={d.id} value={d.id}>{label('device', d)}</option>)}
      </select>
      <button type="button" onClick={() => void ask()}>Ask the policy</button>
      {preview !== null && (
        <table id="policy-preview">
          <thead><tr>{['Caller', 'Callee', 'Recorded by'].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {preview.map((p) => (
              <tr key={`${p.caller}-${p.callee}`}>
                <td>{p.caller}</td><td>{p.callee}</td>
                <td>{p.recordings.length === 0 ? 'not recorded' : p.recordings.map((r) => `${r.by} (${r.origin}, ${r.format}${r.url === null ? ', no URL' : ''})`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
