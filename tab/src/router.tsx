// A small path router for the tab's pages (/tab/<page>/...), on the History API.
import { createContext, type MouseEvent, type ReactNode, useContext, useEffect, useState } from 'react';

const BASE = '/tab';

interface RouterState {
  path: string;
  search: URLSearchParams;
  navigate: (to: string) => void;
}

const RouterContext = createContext<RouterState>({
  path: '/',
  search: new URLSearchParams(),
  navigate: () => {},
});

function current(): { path: string; search: URLSearchParams } {
  const path = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length) || '/'
    : '/';
  return { path, search: new URLSearchParams(window.location.search) };
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState(current);
  useEffect(() => {
    const onPop = () => setState(current());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = (to: string) => {
    // Keep a forced theme (?theme=dark) across pages.
    const theme = new URLSearchParams(window.location.search).get('theme');
    const url = new URL(BASE + to, window.location.origin);
    if (theme && !url.searchParams.has('theme')) url.searchParams.set('theme', theme);
    history.pushState(null, '', url.pathname + url.search);
    setState(current());
    window.scrollTo(0, 0);
  };
  return <RouterContext.Provider value={{ ...state, navigate }}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterState {
  return useContext(RouterContext);
}

/** Matches `/objects/:type/:id` style patterns; returns the parameters or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return undefined;
  }
  return params;
}

export function href(to: string): string {
  return BASE + to;
}

/** An anchor that navigates inside the tab without reloading. */
export function useLinkHandler(to: string) {
  const { navigate } = useRouter();
  return (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(to);
  };
}
