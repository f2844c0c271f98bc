// Entry: detect Teams (with a timeout), pick the theme, wire the token source, render the app.
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { configureApi } from './api/client.ts';
import { clearToken, storedToken, takeTokenFromFragment } from './api/token.ts';
import { detectHost } from './host/teams-host.ts';

takeTokenFromFragment();
const host = await detectHost();
const root = createRoot(document.getElementById('root') as HTMLElement);

let signedOut: () => void = () => {};
configureApi(
  async () => (host.inTeams ? host.getTeamsToken() : storedToken()),
  () => {
    if (!host.inTeams) clearToken();
    signedOut();
  },
);

root.render(<App host={host} registerSignedOut={(fn) => (signedOut = fn)} />);
