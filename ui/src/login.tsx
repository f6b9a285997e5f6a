import { useState } from 'preact/hooks';
import { login, type Credentials, type Session } from './api';

type Mode = 'key' | 'user';

/**
 * The login form: an account's API key (PUT /v2/api_auth) or an admin user's name and password
 * in an account (PUT /v2/user_auth). Either way the page gets a token of that account.
 */
export function Login({ onLogin, reason }: { onLogin: (s: Session) => void; reason: string | null }) {
  const [mode, setMode] = useState<Mode>('key');
  const [key, setKey] = useState('');
  const [user, setUser] = useState({ username: '', password: '', accountName: '' });
  const [error, setError] = useState<string | null>(reason);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      const c: Credentials = mode === 'key' ? { apiKey: key } : user;
      onLogin(await login(c));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const field = (id: string, label: string, k: keyof typeof user, autoComplete: string) => {
    const common = { id, autoComplete, required: true, value: user[k], onInput: (e: { currentTarget: HTMLInputElement }) => setUser({ ...user, [k]: e.currentTarget.value }) };
    return (
      <>
        <label for={id}>{label}</label>
        {k === 'password' ? <input type="password" {...common} /> : <input type="text" {...common} />}
      </>
    );
  };
  return (
    <form class="login" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
      <h2 id="login-title">Log in</h2>
      {mode === 'key' ? (
        <>
          <label for="api-key">Account API key</label>
          <input id="api-key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </>
      ) : (
        <>
          {field('login-account', 'Account name', 'accountName', 'organization')}
          {field('login-user', 'User name', 'username', 'username')}
          {field('login-password', 'Password', 'password', 'current-password')}
        </>
      )}
      <button type="submit" disabled={busy}>Log in</button>
      <button type="button" class="link" onClick={() => { setError(null); setMode(mode === 'key' ? 'user' : 'key'); }}>
        {mode === 'key' ? 'Log in with a user name and password instead' : 'Log in with an API key instead'}
      </button>
      {error !== null && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
