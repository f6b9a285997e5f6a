/**
 * The page's client of the product's Crossbar-style API: same origin, X-Auth-Token on every
 * call, the token kept in sessionStorage (gone when the tab closes; not readable by other tabs).
 */

export interface Session {
  token: string;
  accountId: string;
  accountName: string;
}

/** An API answer other than 2xx, with the envelope's message and data (field errors). */
export class ApiFailure extends Error {
  constructor(readonly status: number, message: string, readonly data: unknown) {
    super(message);
    this.name = 'ApiFailure';
  }
}

const KEY = 'b2bua.session';

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (raw === null) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.token === 'string' && typeof s.accountId === 'string' ? { token: s.token, accountId: s.accountId, accountName: s.accountName ?? '' } : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(s));
}

interface Envelope {
  data?: unknown;
  message?: string;
  auth_token?: string;
}

async function failure(res: Response): Promise<ApiFailure> {
  let env: Envelope = {};
  try {
    env = (await res.json()) as Envelope;
  } catch {
    // not JSON: the status alone says it
  }
  const detail = typeof env.data === 'object' && env.data !== null && 'message' in env.data ? String((env.data as { message: unknown }).message) : '';
  return new ApiFailure(res.status, `${res.status} ${env.message ?? res.statusText}${detail && detail !== env.message ? `: ${detail}` : ''}`, env.data);
}

const TIMEOUT_MS = 15_000;

/** What the login form sends: an account's API key, or a user's name and password in an account. */
export type Credentials = { apiKey: string } | { username: string; password: string; accountName: string };

export async function login(c: Credentials): Promise<Session> {
  const [path, data] = 'apiKey' in c
    ? ['/v2/api_auth', { api_key: c.apiKey }]
    : ['/v2/user_auth', { username: c.username, password: c.password, account_name: c.accountName }];
  const res = await fetch(path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) throw await failure(res);
  const env = (await res.json()) as Envelope & { data: { account_id: string; account_name: string | null } };
  if (!env.auth_token) throw new ApiFailure(res.status, 'no token in the answer', null);
  return { token: env.auth_token, accountId: env.data.account_id, accountName: env.data.account_name ?? '' };
}

/** Called when the API says the token is no longer good (401): the app goes back to login. */
let onExpired: () => void = () => undefined;
export function whenExpired(f: () => void): void {
  onExpired = f;
}

async function send(s: Session, method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
  const res = await fetch(path, {
    method,
    headers: { 'x-auth-token': s.token, accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(accept.startsWith('audio/') ? 60_000 : TIMEOUT_MS),
  });
  if (res.status === 401) onExpired();
  if (!res.ok) throw await failure(res);
  return res;
}

export async function api<T>(s: Session, method: string, path: string, body?: unknown): Promise<T> {
  const env = (await (await send(s, method, path, body)).json()) as Envelope;
  return env.data as T;
}

export async function audio(s: Session, path: string, accept: string): Promise<Blob> {
  return (await send(s, 'GET', path, undefined, accept)).blob();
}

export function accountPath(s: Session, rest: string): string {
  return `/v2/accounts/${encodeURIComponent(s.accountId)}/${rest}`;
}
