import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, login, saveSession, whenExpired, type Session } from './api';
import { LiveCalls } from './calls';
import { Operations } from './operations';
import { Policy } from './policy';
import { Recordings } from './recordings';
import './styles.css';

type View = 'recordings' | 'calls' | 'operations' | 'policy';

function viewOf(hash: string): View {
  return hash === '#calls' ? 'calls' : hash === '#operations' ? 'operations' : hash === '#policy' ? 'policy' : 'recordings';
}

function Login({ onLogin, reason }: { onLogin: (s: Session) => void; reason: string | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(reason);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      onLogin(await login(key));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
      <h2 id="login-title">Log in</h2>
      <label for="api-key">Account API key</label>
      <input id="api-key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
      <button type="submit" disabled={busy}>Log in</button>
      {error !== null && <p role="alert" class="error">{error}</p>}
    </form>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const [view, setView] = useState<View>(viewOf(location.hash));
  const [reason, setReason] = useState<string | null>(null);
  const use = (s: Session | null): void => {
    saveSession(s);
    setSession(s);
  };
  useEffect(() => whenExpired(() => { setReason('The login has expired or was refused: log in again.'); use(null); }), []);
  const go = (v: View): void => {
    location.hash = v;
    setView(v);
  };
  return (
    <>
      <header>
        <h1>Call recordings</h1>
        {session !== null && (
          <nav aria-label="Views">
            <button type="button" aria-current={view === 'recordings' ? 'page' : undefined} onClick={() => go('recordings')}>Recordings</button>
            <button type="button" aria-current={view === 'calls' ? 'page' : undefined} onClick={() => go('calls')}>Live calls</button>
            <button type="button" aria-current={view === 'policy' ? 'page' : undefined} onClick={() => go('policy')}>Policy</button>
            <button type="button" aria-current={view === 'operations' ? 'page' : undefined} onClick={() => go('operations')}>Operations</button>
            <span class="account">Account: {session.accountName || session.accountId}</span>
            <button type="button" onClick={() => use(null)}>Log out</button>
          </nav>
        )}
      </header>
      <main>
        {session === null ? <Login onLogin={(s) => { setReason(null); use(s); }} reason={reason} />
          : view === 'recordings' ? <Recordings session={session} />
            : view === 'calls' ? <LiveCalls session={session} />
              : view === 'policy' ? <Policy session={session} /> : <Operations session={session} />}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
