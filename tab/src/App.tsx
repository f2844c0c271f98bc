// The tab's shell: Teams theme, a header with the tenant and the caller's role, the page tabs,
// and the current page. Outside Teams without a token it shows the sign-in page.
import {
  Badge,
  FluentProvider,
  makeStyles,
  Tab,
  TabList,
  Text,
  type Theme,
  teamsDarkTheme,
  teamsHighContrastTheme,
  teamsLightTheme,
  tokens,
} from '@fluentui/react-components';
import { ShieldCheckmarkFilled } from '@fluentui/react-icons';
import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import { api } from './api/client.ts';
import { storedToken } from './api/token.ts';
import type { Me } from './api/types.ts';
import { ErrorBar, Loading } from './components/common.tsx';
import type { Host, ThemeName } from './host/teams-host.ts';
import { AuditPage } from './pages/AuditPage.tsx';
import { DashboardPage } from './pages/DashboardPage.tsx';
import { ExportPage } from './pages/ExportPage.tsx';
import { ObjectDetailPage } from './pages/ObjectDetailPage.tsx';
import { ObjectsPage } from './pages/ObjectsPage.tsx';
import { RestoreDetailPage } from './pages/RestoreDetailPage.tsx';
import { RestoresPage } from './pages/RestoresPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { matchPath, RouterProvider, useRouter } from './router.tsx';

const THEMES: Record<ThemeName, Theme> = {
  light: teamsLightTheme,
  dark: teamsDarkTheme,
  contrast: teamsHighContrastTheme,
};

export interface Session {
  me: Me;
  theme: Theme;
  themeName: ThemeName;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

const useStyles = makeStyles({
  provider: { minHeight: '100vh', backgroundColor: tokens.colorNeutralBackground2 },
  header: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalM,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalXL}`,
    backgroundColor: tokens.colorNeutralBackground1,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  brand: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalS },
  logo: { color: tokens.colorBrandForeground1, fontSize: '24px' },
  spacer: { flexGrow: 1 },
  user: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalS,
    color: tokens.colorNeutralForeground2,
  },
  nav: {
    backgroundColor: tokens.colorNeutralBackground1,
    paddingLeft: tokens.spacingHorizontalL,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
    overflowX: 'auto',
  },
  main: {
    padding: `${tokens.spacingVerticalXL} ${tokens.spacingHorizontalXXL}`,
    maxWidth: '1400px',
    margin: '0 auto',
  },
});

export function App({
  host,
  registerSignedOut,
}: {
  host: Host;
  registerSignedOut: (fn: () => void) => void;
}) {
  const [themeName, setThemeName] = useState<ThemeName>(host.theme);
  const [signedIn, setSignedIn] = useState(host.inTeams || Boolean(storedToken()));
  useEffect(() => {
    host.onThemeChange(setThemeName);
    registerSignedOut(() => setSignedIn(false));
  }, [host, registerSignedOut]);
  const theme = THEMES[themeName];
  const styles = useStyles();
  return (
    <FluentProvider theme={theme} className={styles.provider}>
      <RouterProvider>
        {signedIn ? <SignedInApp theme={theme} themeName={themeName} /> : <SignInPage />}
      </RouterProvider>
    </FluentProvider>
  );
}

const NAV: { value: string; label: string; to: string }[] = [
  { value: 'dashboard', label: 'Dashboard', to: '/' },
  { value: 'users', label: 'Users', to: '/objects/user' },
  { value: 'groups', label: 'Groups', to: '/objects/group' },
  { value: 'other', label: 'Other objects', to: '/objects/application' },
  { value: 'restores', label: 'Restores', to: '/restores' },
  { value: 'audit', label: 'Audit log', to: '/audit' },
  { value: 'export', label: 'Export', to: '/export' },
  { value: 'settings', label: 'Settings', to: '/settings' },
];

function currentNav(path: string): string {
  if (path.startsWith('/objects/user')) return 'users';
  if (path.startsWith('/objects/group')) return 'groups';
  if (path.startsWith('/objects/')) return 'other';
  const first = path.split('/').filter(Boolean)[0];
  return NAV.find((n) => n.to === `/${first}`)?.value ?? 'dashboard';
}

function SignedInApp({ theme, themeName }: { theme: Theme; themeName: ThemeName }) {
  const styles = useStyles();
  const { path, navigate } = useRouter();
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<Me>('/api/tab/me').then(setMe, setError);
  }, []);
  const session = useMemo(() => (me ? { me, theme, themeName } : undefined), [me, theme, themeName]);
  return (
    <>
      <header className={styles.header}>
        <div className={styles.brand}>
          <ShieldCheckmarkFilled className={styles.logo} aria-hidden="true" />
          <Text weight="semibold" size={400}>
            Entra Backup
          </Text>
          {me?.tenantName ? <Text>· {me.tenantName}</Text> : null}
        </div>
        <div className={styles.spacer} />
        {me ? (
          <div className={styles.user}>
            <Text>{me.displayName ?? me.username}</Text>
            <Badge appearance="outline" color={me.isAdmin ? 'brand' : 'informative'} data-testid="role-badge">
              {me.isAdmin ? 'Admin' : 'Read-only'}
            </Badge>
          </div>
        ) : null}
      </header>
      <nav className={styles.nav} aria-label="Pages">
        <TabList
          selectedValue={currentNav(path)}
          onTabSelect={(_e, d) => navigate(NAV.find((n) => n.value === d.value)?.to ?? '/')}
        >
          {NAV.map((n) => (
            <Tab key={n.value} value={n.value}>
              {n.label}
            </Tab>
          ))}
        </TabList>
      </nav>
      <main className={styles.main}>
        {error ? <ErrorBar error={error} title="Could not load your session" /> : null}
        {!session && !error ? <Loading /> : null}
        {session ? (
          <SessionContext.Provider value={session}>
            <Page path={path} />
          </SessionContext.Provider>
        ) : null}
      </main>
    </>
  );
}

function Page({ path }: { path: string }) {
  let m = matchPath('/objects/:type/:id', path);
  if (m) return <ObjectDetailPage key={path} type={m.type} id={m.id} />;
  m = matchPath('/objects/:type', path);
  if (m) return <ObjectsPage key={m.type} type={m.type} />;
  m = matchPath('/restores/:id', path);
  if (m) return <RestoreDetailPage key={m.id} id={m.id} />;
  if (path.startsWith('/restores')) return <RestoresPage />;
  if (path.startsWith('/settings')) return <SettingsPage />;
  if (path.startsWith('/audit')) return <AuditPage />;
  if (path.startsWith('/export')) return <ExportPage />;
  return <DashboardPage />;
}
