// The real Teams client stand-in: Microsoft 365 Agents Playground in front of the product (what
// `npm run playground` starts), driven through its web UI in headless Chromium. A user deleted in
// the dev tenant is found by part of its UPN, the restore card renders, Request restore posts the
// approval card; the second admin approves (the Playground mocks one user, so that click comes
// as an HTTP activity) and the card in the Playground updates.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlaygroundHandle, startPlayground } from '../../scripts/playground.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`playground e2e skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
}

describe.skipIf(!hasChromium)('Agents Playground end to end', () => {
  let pg: PlaygroundHandle;
  let browser: Browser;
  let dataDir: string;
  let victim: { id: string; upn: string; name: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'entra-backup-playground-'));
    pg = await startPlayground({
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'silent',
        DEV_TENANT_GRAPH_PORT: '0',
        DEV_TENANT_LOGIN_PORT: '0',
        DEV_TENANT_USERS: '30',
        SCHEDULER_ENABLED: 'false',
      },
      playgroundPort: 0,
    });
    const runtime = pg.product.runtime;
    const dev = runtime.devTenantHandle;
    if (!dev) throw new Error('no dev tenant');
    const keep = new Set(
      [pg.users.current, pg.users.secondAdmin, pg.users.nonAdmin, ...pg.users.others].map(
        (u) => u.aadObjectId,
      ),
    );
    const candidate = dev
      .ops(pg.tenantId)
      .list('user', { limit: 100 })
      .map((o) => o.data as { id: string; userPrincipalName: string; displayName: string })
      .find((u) => !keep.has(u.id) && !u.userPrincipalName.includes('#EXT#'));
    if (!candidate) throw new Error('no user to delete');
    victim = { id: candidate.id, upn: candidate.userPrincipalName, name: candidate.displayName };
    await runBackupNow(
      runtime,
      pg.tenantId,
      { kind: 'full', trigger: 'manual' },
      { workerId: 'e2e', pollMs: 50 },
    );
    dev.ops(pg.tenantId).delete('user', victim.id);
    await runBackupNow(
      runtime,
      pg.tenantId,
      { kind: 'incremental', trigger: 'manual' },
      { workerId: 'e2e', pollMs: 50 },
    );
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
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pg?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('restore user <partial upn> → restore card → Request restore → approval card → approved by a second admin', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(pg.playgroundUrl);
    // The install the Playground simulates got the welcome card.
    await page.getByText('Entra Backup is installed').first().waitFor({ timeout: 30_000 });

    const partial = victim.upn.split('@')[0].slice(0, -2).toLowerCase();
    const box = page.locator('[contenteditable=true][role=textbox]');
    await box.click();
    await page.keyboard.type(`restore user ${partial}`);
    await page.keyboard.press('Enter');

    await page.getByText(`Restore user: ${victim.name}`).first().waitFor({ timeout: 30_000 });
    await expect(page.getByText('deleted, in the recycle bin').first().isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Request restore' }).last().click();

    await page.getByText(`Restore request: user ${victim.name}`).last().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Approve' }).last().waitFor();
    await expect(page.getByText('Restore from the recycle bin').first().isVisible()).resolves.toBe(true);

    const store = pg.product.runtime.store;
    const [pending] = await store.listRestores(pg.tenantId, { status: ['pending'] });
    expect(pending.requestedBy.objectId).toBe(pg.users.current.aadObjectId);
    expect(pending.card).toBeDefined();

    // The second admin approves (the Playground mocks one signed-in user).
    const response = await fetch(`${pg.productUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: 'second-admin-click',
        channelId: 'msteams',
        serviceUrl: pending.card?.serviceUrl,
        conversation: {
          id: pending.card?.conversationId,
          conversationType: 'personal',
          tenantId: pg.tenantId,
        },
        from: {
          id: pg.users.secondAdmin.id,
          name: pg.users.secondAdmin.name,
          aadObjectId: pg.users.secondAdmin.aadObjectId,
        },
        recipient: { id: '00000000-0000-0000-0000-00000000000b', name: 'Entra Backup' },
        channelData: { tenant: { id: pg.tenantId } },
        value: {
          action: {
            type: 'Action.Execute',
            verb: 'approval.approve',
            data: { tenantId: pg.tenantId, restoreId: pending.restoreId },
          },
        },
      }),
    });
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toMatch(/You approved this restore/);
    expect((await store.getRestore(pg.tenantId, pending.restoreId))?.status).toMatch(
      /approved|running|succeeded/,
    );

    // The posted card in the Playground was updated in place.
    await page
      .getByText(/Approved — queued|Running|Done/)
      .first()
      .waitFor({ timeout: 30_000 });
    await page.close();
  }, 120_000);
});
