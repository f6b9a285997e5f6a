import { useEffect, useState } from 'preact/hooks';
import { api, accountPath, type Session } from './api';

interface ChannelRecording {
  /** `callflow` for record_call's recording (the one the buttons start and stop), else the policy's. */
  source: string;
  origin: string;
  state: string;
  label?: string;
  /** Paused by record_call pause (PCI); every recording of the call is paused at once. */
  paused?: boolean;
}

interface Channel {
  uuid: string;
  answered: boolean;
  state: string;
  call_direction: string | null;
  username?: string;
  presence_id?: string;
  destination: string | null;
  timestamp: number;
  recordings: ChannelRecording[];
}

/** Kazoo's timestamps are Gregorian seconds (since year 0). */
const GREGORIAN_OFFSET = 62_167_219_200;

/**
 * The account's calls in progress, pushed by GET .../channels/events (server-sent events; the
 * token goes in the query because EventSource cannot set headers). EventSource reconnects by
 * itself after a drop; the status line says so.
 */
export function LiveCalls({ session }: { session: Session }) {
  const [channels, setChannels] = useState<Channel[]>([]);
  const [link, setLink] = useState('connecting');
  const [notice, setNotice] = useState<string | null>(null);
  const [url, setUrl] = useState('');

  useEffect(() => {
    const es = new EventSource(`${accountPath(session, 'channels/events')}?auth_token=${encodeURIComponent(session.token)}`);
    es.addEventListener('channels', (e) => {
      setChannels(JSON.parse((e as MessageEvent<string>).data) as Channel[]);
      setLink('live');
    });
    es.addEventListener('expired', () => {
      es.close();
      setLink('closed: the login has expired');
    });
    es.addEventListener('suspended', () => {
      es.close();
      setChannels([]);
      setLink('closed: the account is disabled');
    });
    es.onerror = () => setLink(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    return () => es.close();
  }, [session.token]);

  const act = async (c: Channel, what: string, method: string, body: unknown): Promise<void> => {
    try {
      await api(session, method, accountPath(session, `channels/${encodeURIComponent(c.uuid)}`), body);
      setNotice(`${what}: sent for call ${c.uuid}.`);
    } catch (e) {
      setNotice(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const LABELS = { start: 'Start recording', stop: 'Stop recording', pause: 'Pause recording', resume: 'Resume recording' } as const;
  const record = (c: Channel, action: keyof typeof LABELS) =>
    act(c, LABELS[action], 'PUT', {
      action: 'metaflow', data: { module: 'record_call', data: { action, ...(action === 'start' && url.trim() !== '' ? { url: url.trim() } : {}) } },
    });

  return (
    <section aria-labelledby="calls-title">
      <h2 id="calls-title">Live calls</h2>
      <p role="status" id="calls-link">Updates: {link} · {channels.length} call{channels.length === 1 ? '' : 's'}</p>
      <p>
        <label for="rc-url">Upload URL for recordings started here (record_call <code>url</code>; without one nothing is recorded)</label>
        <input id="rc-url" type="url" size={60} value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </p>
      {notice !== null && <p role="status">{notice}</p>}
      <table id="channels">
        <thead>
          <tr>
            {['Started', 'Caller', 'Destination', 'Direction', 'State', 'Recording', 'Actions'].map((h) => <th key={h} scope="col">{h}</th>)}
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => {
            // record_call start/stop acts on the callflow's recording only (konami); the policy's runs on.
            const recording = c.recordings.some((r) => r.source === 'callflow' && (r.state === 'recording' || r.state === 'pending'));
            // Pause / resume act on every recording of the call (PCI), whichever started it.
            const running = c.recordings.filter((r) => r.state === 'recording');
            const paused = running.some((r) => r.paused === true);
            return (
              <tr key={c.uuid} data-id={c.uuid}>
                <td>{new Date((c.timestamp - GREGORIAN_OFFSET) * 1000).toLocaleTimeString()}</td>
                <td>{c.presence_id ?? c.username ?? ''}</td>
                <td>{c.destination ?? ''}</td>
                <td>{c.call_direction ?? ''}</td>
                <td>{c.answered ? 'answered' : c.state}</td>
                <td>{c.recordings.map((r) => `${r.origin}${r.source === 'callflow' ? ' (record_call)' : ''}: ${r.state}${r.paused === true ? ' (paused)' : ''}`).join(', ') || 'none'}</td>
                <td>
                  <button type="button" disabled={recording} onClick={() => void record(c, 'start')}>Start recording</button>
                  <button type="button" disabled={!recording} onClick={() => void record(c, 'stop')}>Stop recording</button>
                  <button type="button" disabled={running.length === 0 || paused} onClick={() => void record(c, 'pause')}>Pause recording</button>
                  <button type="button" disabled={!paused} onClick={() => void record(c, 'resume')}>Resume recording</button>
                  <button type="button" class="danger" onClick={() => void act(c, 'Hang up', 'POST', { data: { action: 'hangup' } })}>Hang up</button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
