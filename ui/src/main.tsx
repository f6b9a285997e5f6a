import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, saveSession, whenExpired, type Session } from './api';
import { Login } from './login';
import { LiveCalls } from './calls';
import { Operations } from './operations';
import { Policy } from './policy';
import { Recordings } from './recordings';
import './styles.css';

type View = 'recordings' | 'calls' | 'operations' | 'policy';

function viewOf(hash: string): View {
  return hash === '#calls' ? 'calls' : hash === '#operations' ? 'operations' : hash === '#policy' ? 'policy' : 'recordings';
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
