/** An operator's log-in: the access token and when the Customers API said it expires. */
export interface Session {
  username: string;
  token: string;
  /** Epoch milliseconds: the log-in time plus the token response's `expires_in`. */
  expiresAt: number;
}

// sessionStorage, not localStorage: the session survives a reload of the tab but ends with
// it and is not shared with other tabs; nothing is kept on disk after the browser closes.
// The expiry comes from `expires_in`, so the console never needs to read the token itself.
const STORAGE_KEY = 'b2b-operator-console.session';

export function loadSession(now = Date.now()): Session | undefined {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (!stored) return undefined;
  try {
    const session = JSON.parse(stored) as Partial<Session>;
    if (
      typeof session.username === 'string' &&
      typeof session.token === 'string' &&
      typeof session.expiresAt === 'number' &&
      session.expiresAt > now
    ) {
      return session as Session;
    }
  } catch {
    // Not ours or damaged: treat as logged out.
  }
  sessionStorage.removeItem(STORAGE_KEY);
  return undefined;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
