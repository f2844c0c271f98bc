// Where the tab runs: inside Teams (teams-js initializes; SSO token and theme come from Teams)
// or in a plain browser (initialize times out; sign-in at the token issuer; theme from the OS).
import { app, authentication } from '@microsoft/teams-js';

export type ThemeName = 'light' | 'dark' | 'contrast';

export interface Host {
  inTeams: boolean;
  theme: ThemeName;
  onThemeChange(handler: (theme: ThemeName) => void): void;
  /** Teams SSO token; undefined outside Teams. */
  getTeamsToken(): Promise<string | undefined>;
}

const INIT_TIMEOUT_MS = 2500;

function fromTeamsTheme(theme: string | undefined): ThemeName {
  if (theme === 'dark') return 'dark';
  if (theme === 'contrast') return 'contrast';
  return 'light';
}

function browserTheme(): ThemeName {
  const requested = new URLSearchParams(window.location.search).get('theme');
  if (requested === 'dark' || requested === 'light' || requested === 'contrast') return requested;
  if (window.matchMedia?.('(forced-colors: active)').matches) return 'contrast';
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export async function detectHost(): Promise<Host> {
  // A top-level window is never hosted by Teams: skip the handshake and its timeout.
  const framed = window.parent !== window || Boolean(window.opener);
  if (framed) {
    try {
      await withTimeout(app.initialize(), INIT_TIMEOUT_MS);
      const context = await app.getContext();
      app.notifySuccess();
      return {
        inTeams: true,
        theme: fromTeamsTheme(context.app.theme),
        onThemeChange: (handler) => app.registerOnThemeChangeHandler((t) => handler(fromTeamsTheme(t))),
        getTeamsToken: async () => authentication.getAuthToken(),
      };
    } catch {
      // Not in Teams (or Teams did not answer): continue as a plain browser page.
    }
  }
  return {
    inTeams: false,
    theme: browserTheme(),
    onThemeChange: (handler) => {
      window
        .matchMedia?.('(prefers-color-scheme: dark)')
        .addEventListener('change', () => handler(browserTheme()));
    },
    getTeamsToken: async () => undefined,
  };
}
