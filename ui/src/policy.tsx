import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, accountPath, type Session } from './api';

/**
 * The `call_recording` settings of the account (its own rules and the endpoint defaults), its
 * users and devices as a form: Kazoo's slots (any/inbound/outbound x any/onnet/offnet) with every
 * setting of call_recording.parameters.json, saved by PATCH with the API's field errors shown
 * next to the fields; and, for a caller and a callee device, what the policy module decides for
 * each call type (GET .../call_recording/preview; the page does not decide).
 */

/** null: cleared in the form, sent as null so that the merge PATCH (RFC 7396) removes the key. */
type Value = boolean | number | string | null | undefined;
type Slot = Record<string, Value>;
type Slots = Record<string, Record<string, Slot | undefined> | undefined>;

/** The settings of one slot, in the schema's order: the form has a column each. */
const FIELDS: ReadonlyArray<{ key: string; title: string; kind: 'check' | 'format' | 'number' | 'url' }> = [
  { key: 'enabled', title: 'Enabled', kind: 'check' },
  { key: 'format', title: 'Format', kind: 'format' },
  { key: 'url', title: 'Upload URL', kind: 'url' },
  { key: 'record_on_answer', title: 'Start on answer', kind: 'check' },
  { key: 'record_on_bridge', title: 'Start on bridge', kind: 'check' },
  { key: 'record_min_sec', title: 'Keep if at least (s)', kind: 'number' },
  { key: 'time_limit', title: 'Time limit (s)', kind: 'number' },
  { key: 'record_sample_rate', title: 'Sample rate (Hz)', kind: 'number' },
];
interface Doc { id: string; name?: string; first_name?: string; last_name?: string; call_recording?: Record<string, unknown> }
interface Preview { caller: string; callee: string; recordings: { by: string; origin: string; format: string; url: string | null }[] }

const DIRS = ['inbound', 'outbound', 'any'];
const NETS = ['onnet', 'offnet', 'any'];

function label(kind: string, d: Doc): string {
  const n = d.name ?? [d.first_name, d.last_name].filter(Boolean).join(' ');
  return `${kind} ${n || d.id}`;
}

export function Policy({ session }: { session: Session }) {
  const [users, setUsers] = useState<Doc[]>([]);
  const [devices, setDevices] = useState<Doc[]>([]);
  const [target, setTarget] = useState('account');
  /** On the account: its own rules (`account`) or the defaults of its users and devices (`endpoint`). */
  const [part, setPart] = useState<'account' | 'endpoint'>('account');
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
      setSlots(((target === 'account' ? cr[part] : cr) ?? {}) as Slots);
    }, (e: unknown) => setNotice(e instanceof Error ? e.message : String(e)));
  }, [target, part, session.token]);

  const setSlot = (dir: string, net: string, patch: Slot): void => {
    const d = { ...(slots[dir] ?? {}) };
    d[net] = { ...(d[net] ?? {}), ...patch };
    setSlots({ ...slots, [dir]: d });
  };
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setNotice('Saving…');
    try {
      const current = await api<Doc>(session, 'GET', docPath(target));
      const cr = target === 'account' ? { ...(current.call_recording ?? {}), [part]: slots } : slots;
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
        {target === 'account' && (
          <>
            <label for="p-part">Which settings</label>
            <select id="p-part" value={part} onChange={(e) => setPart(e.currentTarget.value === 'endpoint' ? 'endpoint' : 'account')}>
              <option value="account">the account's own recordings</option>
              <option value="endpoint">defaults for its users and devices</option>
            </select>
          </>
        )}
        <table id="policy-slots">
          <thead><tr><th scope="col">Call</th>{FIELDS.map((f) => <th key={f.key} scope="col">{f.title}</th>)}</tr></thead>
          <tbody>
            {DIRS.flatMap((dir) => NETS.map((net) => {
              const s = slots[dir]?.[net] ?? {};
              const id = `p-${dir}-${net}`;
              const name = `${dir === 'any' ? 'any direction' : dir} ${dir === 'inbound' ? 'from' : dir === 'outbound' ? 'to' : 'with'} ${net === 'any' ? 'any network' : net}`;
              return (
                <tr key={id}>
                  <th scope="row">{name}</th>
                  {FIELDS.map((f) => <td key={f.key}>{fieldInput(`${id}-${f.key.replace(/_/g, '-')}`, `${name}: ${f.title}`, f.kind, s[f.key], (v) => setSlot(dir, net, { [f.key]: v }), errorOf(dir, net, f.key))}</td>)}
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

/** One setting's input; an API field error is shown under it and tied to it for screen readers. */
function fieldInput(id: string, label: string, kind: 'check' | 'format' | 'number' | 'url', value: Value, set: (v: Value) => void, error: string | undefined) {
  const invalid = { 'aria-invalid': error !== undefined, 'aria-describedby': error !== undefined ? `${id}-error` : undefined };
  const input = kind === 'check' ? <input id={id} type="checkbox" aria-label={label} checked={value === true} onChange={(e) => set(e.currentTarget.checked)} />
    : kind === 'format' ? (
      <select id={id} aria-label={label} value={typeof value === 'string' ? value : ''} onChange={(e) => set(e.currentTarget.value || null)}>
        <option value="">default</option><option value="mp3">mp3</option><option value="wav">wav</option>
      </select>
    ) : kind === 'number' ? (
      <input id={id} type="number" step={1} size={6} aria-label={label} {...invalid} value={value === undefined || value === null ? '' : String(value)}
        onInput={(e) => set(e.currentTarget.value === '' ? null : Number(e.currentTarget.value))} />
    ) : (
      <input id={id} type="text" size={32} aria-label={label} {...invalid} value={typeof value === 'string' ? value : ''} onInput={(e) => set(e.currentTarget.value || null)} />
    );
  return (
    <>
      {input}
      {error !== undefined && <span id={`${id}-error`} class="error field-error">{error}</span>}
    </>
  );
}
