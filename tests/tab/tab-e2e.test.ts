// The tab in a real browser (Debian Chromium through playwright-core) against the real product:
// sign in at the dev tenant's issuer → dashboard with the tenant's figures → search a user by
// part of the UPN → two versions with the changed value highlighted → request a restore → a
// second admin approves in their own browser context → done → undo. Every page is screenshot in
// light and dark (test-results/screenshots/) and checked with axe-core (no serious or critical
// violation).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { runRestoreWorkerOnce } from '../../src/restore/executor.ts';
import { createTabWorld, type TabWorld } from './tab-world.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, 'test-results', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const CHANGED_TITLE = 'Chief Restoration Officer';

let world: TabWorld;
let browser: Browser;
let worker: NodeJS.Timeout | undefined;
const axeFindings: string[] = [];

async function buildTab(): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'tab/vite.config.ts'],
    {
      cwd: ROOT,
      timeout: 120_000,
    },
  );
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
  const [w] = await Promise.all([
    createTabWorld({ tenants: 2 }),
    buildTab(),
    mkdir(SHOTS, { recursive: true }),
  ]);
  world = w;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // The restore worker, as the product runs it: approved restores are executed in the background.
  let busy = false;
  worker = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      await runRestoreWorkerOnce(world.ctx, 'e2e-restore-worker');
    } finally {
      busy = false;
    }
  }, 400);
}, 180_000);

afterAll(async () => {
  if (worker) clearInterval(worker);
  await browser?.close();
  await world?.close();
});

beforeEach(() => {
  axeFindings.length = 0; // each test answers for its own pages
});

async function newSession(): Promise<{ context: BrowserContext; page: Page }> {
  // bypassCSP only lets the test inject axe-core (the pages run under the product's CSP);
  // ignoreHTTPSErrors: the dev issuer's self-signed loopback certificate.
  const context = await browser.newContext({
    viewport: { width: 1360, height: 900 },
    colorScheme: 'light',
    bypassCSP: true,
    ignoreHTTPSErrors: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

type AxeOnly = { type: 'tag' | 'rule'; values: string[] };
/** Every WCAG 2.1 A/AA and best-practice rule. */
const ALL_RULES: AxeOnly = {
  type: 'tag',
  values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
};
/** A theme changes only colours: contrast. */
const CONTRAST_ONLY: AxeOnly = { type: 'rule', values: ['color-contrast'] };

/** Runs axe-core in a page or frame and records serious and critical violations under `label`. */
async function checkAxe(target: Page | Frame, label: string, only: AxeOnly): Promise<void> {
  if (!(await target.evaluate(() => 'axe' in window))) await target.addScriptTag({ content: AXE });
  const violations = await target.evaluate(async (runOnly) => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{
            violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(
      // Tabster's focus-trap sentinels (Fluent UI's keyboard navigation) are aria-hidden and
      // focusable by design: focus landing on them is moved on at once. Not page content.
      { include: [document], exclude: [['[data-tabster-dummy]']] },
      { runOnly },
    );
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  }, only);
  for (const v of violations) {
    if (v.impact === 'serious' || v.impact === 'critical')
      axeFindings.push(`${label}: ${v.id} [${v.impact}] ${v.help} at ${v.targets.join(', ')}`);
  }
}

/** Screenshots the page in light and dark and runs axe-core in both. */
async function capture(page: Page, name: string, fullPage = true): Promise<void> {
  const t0 = Date.now();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${scheme}.png`), fullPage });
    await checkAxe(page, `${name} (${scheme})`, scheme === 'light' ? ALL_RULES : CONTRAST_ONLY);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (process.env.TAB_E2E_TIMING) console.log(`capture ${name}: ${Date.now() - t0} ms`);
}

async function signIn(page: Page, upn: string): Promise<void> {
  await page.goto(`${world.baseUrl}/tab/`);
  await page.getByRole('link', { name: 'Sign in' }).waitFor();
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Email or user principal name').fill(upn);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

describe('the tab in a browser', () => {
  it('walks from sign-in to a restore approved by a second admin, and undoes it', async () => {
    const { ctx, tenantId } = world;
    // A change someone made: the backup keeps both versions.
    const users = (
      await ctx.store.listObjects(tenantId, { type: 'user', deleted: 'live', sort: 'name', limit: 50 })
    ).items;
    const target = users.find(
      (u) =>
        ![world.adminA.objectId, world.adminB.objectId].includes(u.objectId) &&
        String(u.summary.userPrincipalName).includes('@'),
    );
    if (!target) throw new Error('no user to restore');
    const graph = ctx.graph.forRestore(tenantId);
    const before = await graph.get<{ jobTitle?: string | null }>(
      `/users/${target.objectId}?$select=jobTitle`,
    );
    await graph.patch(`/users/${target.objectId}`, { jobTitle: CHANGED_TITLE });
    await world.backup();

    const a = await newSession();
    await a.page.goto(`${world.baseUrl}/tab/`);
    await a.page.getByRole('link', { name: 'Sign in' }).waitFor();
    await capture(a.page, '01-sign-in');
    await signIn(a.page, world.adminA.upn);

    // Dashboard: the dev tenant's figures.
    const counts = await ctx.store.countObjects(tenantId);
    const live = Object.values(counts).reduce((n, c) => n + (c?.live ?? 0), 0);
    await expect
      .poll(() => a.page.getByTestId('total-live').textContent())
      .toBe(live.toLocaleString('en-US'));
    await expect
      .poll(() => a.page.getByTestId('type-row-user').textContent())
      .toContain(String(counts.user?.live));
    await capture(a.page, '02-dashboard');

    // Users: search by part of the UPN.
    await a.page.getByRole('tab', { name: 'Users' }).click();
    const upnPart = String(target.summary.userPrincipalName).split('@')[0].slice(1, 7);
    await a.page.getByRole('searchbox', { name: 'Search users' }).fill(upnPart);
    const link = a.page.getByRole('link', { name: target.displayName, exact: true });
    await link.waitFor();
    await capture(a.page, '03-users-search');

    // Detail: two versions, the changed value highlighted.
    await link.click();
    await expect.poll(() => a.page.getByTestId('version-position').textContent()).toBe('Version 2 of 2');
    const changedRow = a.page.locator('tr[data-changed="true"][data-property="jobTitle"]');
    await changedRow.waitFor();
    expect(await changedRow.textContent()).toContain(CHANGED_TITLE);
    const color = await changedRow
      .locator('td')
      .nth(1)
      .evaluate((el) => getComputedStyle(el).color);
    expect(color).toMatch(/rgb\((1[5-9]\d|2\d\d), \d{1,2}, \d{1,2}\)/); // red text
    await capture(a.page, '04-user-detail');
    await a.page.getByRole('tab', { name: /Memberships/ }).click();
    await capture(a.page, '05-user-memberships');
    await a.page.getByRole('tab', { name: 'Properties' }).click();

    // Restore the older version: options, preview, request.
    await a.page.getByRole('button', { name: 'Older version' }).click();
    await expect.poll(() => a.page.getByTestId('version-position').textContent()).toBe('Version 1 of 2');
    await a.page.getByRole('button', { name: 'Restore this version' }).click();
    await a.page.getByRole('button', { name: 'Preview' }).click();
    await a.page.getByTestId('plan-preview').waitFor();
    expect(await a.page.getByTestId('plan-preview').textContent()).toContain('jobTitle');
    await capture(a.page, '06-restore-preview', false);
    await a.page.getByRole('button', { name: 'Request restore' }).click();
    await a.page.locator('[data-status="pending"]').waitFor();
    const restoreUrl = a.page.url();
    expect(await a.page.getByRole('button', { name: 'Approve' }).count()).toBe(0); // not for the requester
    await capture(a.page, '07-restore-pending');

    // A second admin approves in their own browser.
    const b = await newSession();
    await signIn(b.page, world.adminB.upn);
    await b.page.getByRole('tab', { name: 'Restores' }).click();
    const row = b.page.getByTestId('restore-row').filter({ hasText: target.displayName }).first();
    await row.waitFor();
    await capture(b.page, '08-restores-list');
    await row.getByRole('button', { name: 'Approve' }).click();

    // The requester's page follows the restore to its end.
    await a.page.locator('[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await a.page.getByTestId('restore-result').waitFor();
    await capture(a.page, '09-restore-done');
    const [csv] = await Promise.all([
      a.page.waitForEvent('download'),
      a.page.getByRole('button', { name: 'CSV' }).click(),
    ]);
    const csvText = readFileSync(String(await csv.path()), 'utf8');
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    expect(csvText).toMatch(new RegExp(`patch,user,${target.objectId},.*,done`));
    const restored = await graph.get<{ jobTitle?: string | null }>(
      `/users/${target.objectId}?$select=jobTitle`,
    );
    expect(restored.jobTitle ?? null).toBe(before.jobTitle ?? null);

    // Undo: a new request (approved by B) puts back what the restore replaced.
    await a.page.getByRole('button', { name: 'Undo' }).click();
    await a.page.waitForURL((url) => url.toString() !== restoreUrl);
    await a.page.locator('[data-status="pending"]').waitFor();
    const undoUrl = a.page.url();
    await b.page.goto(undoUrl);
    await b.page.getByRole('button', { name: 'Approve' }).click();
    await a.page.locator('[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    const undone = await graph.get<{ jobTitle?: string | null }>(
      `/users/${target.objectId}?$select=jobTitle`,
    );
    expect(undone.jobTitle).toBe(CHANGED_TITLE);

    // The remaining pages, for the screenshots and the accessibility check.
    for (const [tab, name] of [
      ['Groups', '10-groups'],
      ['Other objects', '11-other-objects'],
      ['Audit log', '12-audit'],
      ['Settings', '13-settings'],
      ['Export', '14-export'],
    ] as const) {
      await a.page.getByRole('tab', { name: tab, exact: true }).click();
      await a.page.getByRole('heading', { level: 1 }).waitFor();
      await a.page.waitForLoadState('networkidle');
      await capture(a.page, name);
    }
    await a.page.getByRole('button', { name: 'Start export' }).click();
    await a.page.getByRole('button', { name: /Download ZIP/ }).waitFor({ timeout: 30_000 });
    await capture(a.page, '15-export-ready');

    // Backup now: the run is queued, its live progress shows, then it finishes.
    await a.page.getByRole('tab', { name: 'Dashboard' }).click();
    await a.page.getByRole('button', { name: 'Backup now' }).click();
    await a.page
      .getByText(/Backup running/)
      .first()
      .waitFor();
    await capture(a.page, '16-dashboard-backup-queued');
    const queued = await ctx.store.listRuns(tenantId, { status: ['queued'] });
    expect(queued[0]?.requestedBy?.objectId).toBe(world.adminA.objectId);
    await runBackupNow(ctx, tenantId, { kind: 'incremental', trigger: 'manual' });
    await a.page.getByRole('button', { name: 'Backup now' }).waitFor({ timeout: 35_000 });

    // A non-admin sees read-only pages.
    const r = await newSession();
    await signIn(r.page, world.reader.upn);
    expect(await r.page.getByTestId('role-badge').textContent()).toBe('Read-only');
    expect(await r.page.getByRole('button', { name: 'Backup now' }).isDisabled()).toBe(true);
    await capture(r.page, '17-dashboard-read-only');

    await Promise.all([a.context.close(), b.context.close(), r.context.close()]);
    expect(axeFindings).toEqual([]);
  }, 150_000);

  it('restores a user into another tenant the admin manages, with the domain mapping previewed', async () => {
    const { ctx, tenantId } = world;
    const other = world.otherTenant;
    if (!other) throw new Error('the world has no second tenant');
    const sourceDomain = world.adminA.upn.split('@')[1];
    const users = (
      await ctx.store.listObjects(tenantId, { type: 'user', deleted: 'live', sort: 'name', limit: 50 })
    ).items;
    const target = users
      .reverse()
      .find(
        (u) =>
          ![world.adminA.objectId, world.adminB.objectId].includes(u.objectId) &&
          String(u.summary.userPrincipalName).endsWith(`@${sourceDomain}`),
      );
    if (!target) throw new Error('no user to restore');
    const mappedUpn = String(target.summary.userPrincipalName).replace(
      `@${sourceDomain}`,
      `@${other.domain}`,
    );

    const a = await newSession();
    await signIn(a.page, world.adminA.upn);
    await a.page.goto(`${world.baseUrl}/tab/objects/user/${target.objectId}`);
    await a.page.getByRole('button', { name: 'Restore this version' }).click();
    await a.page.getByRole('checkbox', { name: 'Restore into another tenant' }).check();
    // The target list is the server's: the one other tenant where adminA is an admin.
    const select = a.page.getByRole('combobox', { name: 'Target tenant' });
    expect(await select.locator('option').allTextContents()).toEqual([expect.stringContaining(other.domain)]);
    expect(
      await a.page.getByRole('combobox', { name: `Target domain for ${sourceDomain}` }).inputValue(),
    ).toBe(other.domain);
    await a.page.getByRole('button', { name: 'Preview' }).click();
    const mapping = a.page.getByTestId('domain-mapping');
    await mapping.waitFor();
    expect(await mapping.textContent()).toContain(`${sourceDomain} → ${other.domain}`);
    expect(await a.page.getByTestId('plan-preview').textContent()).toContain(mappedUpn);
    await capture(a.page, '18-restore-cross-tenant-preview', false);
    await a.page.getByRole('button', { name: 'Request restore' }).click();
    await a.page.locator('[data-status="pending"]').waitFor();

    // The same approval flow: a second admin of the source tenant approves, seeing where it writes.
    const b = await newSession();
    await signIn(b.page, world.adminB.upn);
    await b.page.goto(a.page.url());
    await b.page.getByText(`into tenant ${other.tenantId} (${sourceDomain} → ${other.domain})`).waitFor();
    await b.page.getByRole('button', { name: 'Approve' }).click();
    await a.page.locator('[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    const created = await ctx.graph
      .forRestore(other.tenantId)
      .get<{ displayName?: string }>(`/users/${encodeURIComponent(mappedUpn)}?$select=displayName`);
    expect(created.displayName).toBe(target.displayName);
    await Promise.all([a.context.close(), b.context.close()]);
    expect(axeFindings).toEqual([]);
  }, 90_000);

  it('ends sign-in and consent errors on clear, accessible server pages', async () => {
    const { context, page } = await newSession();
    // A consent callback whose state was not issued here, and a sign-in callback with an error.
    await page.goto(
      `${world.baseUrl}/auth/consent/callback?admin_consent=True&tenant=${world.tenantId}&state=forged`,
    );
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBeTruthy();
    await capture(page, '19-consent-forged-state');
    await page.goto(`${world.baseUrl}/tab/auth-end?error=access_denied&error_description=The+user+cancelled`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await capture(page, '19-sign-in-error');
    await context.close();
    expect(axeFindings).toEqual([]);
  }, 60_000);

  it('follows the Teams theme inside Teams: high contrast, then dark, with the SSO token', async () => {
    const token = await world.signIn(world.adminA.upn);
    const { context, page } = await newSession();
    await page.route(`${world.baseUrl}/teams-host`, (route) =>
      route.fulfill({ contentType: 'text/html', body: teamsHostPage(token, 'contrast') }),
    );
    await page.goto(`${world.baseUrl}/teams-host`);
    const tab = page.frameLocator('#tab');
    await tab.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const frame = page.frame({ url: /\/tab\// });
    if (!frame) throw new Error('the tab frame is missing');
    // Signed in by the host's SSO token alone, never through the sign-in page.
    expect(await page.evaluate(() => (window as unknown as { hostCalls: string[] }).hostCalls)).toEqual(
      expect.arrayContaining(['initialize', 'getContext', 'authentication.getAuthToken']),
    );
    const background = () =>
      frame.evaluate(
        () => getComputedStyle(document.querySelector('.fui-FluentProvider') as Element).backgroundColor,
      );
    expect(await background()).toBe('rgb(0, 0, 0)'); // teamsHighContrastTheme

    const pages = [
      ['Dashboard', 'dashboard'],
      ['Users', 'users'],
      ['Restores', 'restores'],
      ['Settings', 'settings'],
    ] as const;
    for (const theme of ['contrast', 'dark'] as const) {
      if (theme === 'dark') {
        // Teams tells the tab its theme changed (the user switched theme).
        await page.evaluate(() => (window as unknown as { setTheme: (t: string) => void }).setTheme('dark'));
        await expect.poll(background).not.toBe('rgb(0, 0, 0)');
      }
      for (const [tabName, name] of pages) {
        await tab.getByRole('tab', { name: tabName, exact: true }).click();
        await tab.getByRole('heading', { level: 1 }).waitFor();
        await frame.waitForLoadState('networkidle');
        await page.screenshot({ path: path.join(SHOTS, `30-teams-${name}-${theme}.png`), fullPage: true });
        await checkAxe(frame, `teams ${name} (${theme})`, theme === 'contrast' ? ALL_RULES : CONTRAST_ONLY);
      }
    }
    await context.close();
    expect(axeFindings).toEqual([]);
  }, 90_000);
});

/**
 * A stand-in for the Teams web client: frames the tab and answers teams-js over postMessage
 * (initialize, getContext with the theme, getAuthToken with a real token of the dev issuer);
 * `setTheme` sends Teams' themeChange event. Served from the tab's origin, which teams-js trusts.
 */
function teamsHostPage(token: string, theme: string): string {
  const context = {
    theme,
    locale: 'en-us',
    tid: world.tenantId,
    userObjectId: world.adminA.objectId,
    userPrincipalName: world.adminA.upn,
    appSessionId: 'e2e-session',
    hostClientType: 'web',
    frameContext: 'content',
  };
  const runtime = {
    apiVersion: 4,
    supports: { appInitialization: {}, authentication: {}, pages: { tabs: {}, config: {} }, teamsCore: {} },
  };
  return `<!doctype html><html lang="en"><head><title>Teams (test host)</title>
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%}</style></head>
<body><iframe id="tab" title="Entra Backup" src="/tab/"></iframe><script>
const TOKEN = ${JSON.stringify(token)};
const CONTEXT = ${JSON.stringify(context)};
const RUNTIME = ${JSON.stringify(JSON.stringify(runtime))};
window.hostCalls = [];
window.addEventListener('message', (e) => {
  const m = e.data;
  if (!m || typeof m.id !== 'number' || typeof m.func !== 'string') return;
  window.hostCalls.push(m.func);
  const reply = (args) => e.source.postMessage({ id: m.id, uuidAsString: m.uuidAsString, args }, e.origin);
  if (m.func === 'initialize') reply(['content', 'web', RUNTIME, '2.0.0']);
  else if (m.func === 'getContext') reply([CONTEXT]);
  else if (m.func === 'authentication.getAuthToken') reply([true, TOKEN]);
});
window.setTheme = (t) => document.getElementById('tab').contentWindow.postMessage({ func: 'themeChange', args: [t] }, location.origin);
</script></body></html>`;
}
