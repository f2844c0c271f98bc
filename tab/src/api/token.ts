// The access token of a browser session outside Teams: handed over by the sign-in callback in
// the URL fragment, kept in sessionStorage (gone when the tab closes), never in a cookie.
const KEY = 'entra-backup.tab.token';

export function takeTokenFromFragment(): void {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return;
  const params = new URLSearchParams(hash);
  const token = params.get('access_token');
  if (token) {
    sessionStorage.setItem(KEY, token);
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
}

export function storedToken(): string | undefined {
  const token = sessionStorage.getItem(KEY) ?? undefined;
  if (!token) return undefined;
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: number;
    };
    if (payload.exp && payload.exp * 1000 < Date.now() + 30_000) {
      sessionStorage.removeItem(KEY);
      return undefined;
    }
  } catch {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
  return token;
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

export function signInUrl(): string {
  const returnTo = window.location.pathname.startsWith('/tab/') ? window.location.pathname : '/tab/';
  return `/auth/signin?returnTo=${encodeURIComponent(returnTo)}`;
}
