// `npm run playground` mocks two admins of the dev tenant. The README's demo deletes a user;
// when that user was one of the two Global Administrators, the next start must still find two
// admins (the product's other default admin role counts too), not refuse to start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickUsers } from '../../scripts/playground.ts';
import { loadConfig } from '../../src/config.ts';
import { type ServeHandle, serve } from '../../src/server/serve.ts';

describe('playground: the mocked admins', () => {
  let handle: ServeHandle;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'entra-backup-playground-users-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      DEV_TENANT_GRAPH_PORT: '0',
      DEV_TENANT_LOGIN_PORT: '0',
      DEV_TENANT_USERS: '30',
      LOG_LEVEL: 'silent',
      SCHEDULER_ENABLED: 'false',
    });
    handle = await serve(config, 'all');
  });

  afterAll(async () => {
    await handle?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('still finds two admins after the mocked current admin is deleted', async () => {
    const tenantId = handle.runtime.devTenant?.tenantIds[0];
    const dev = handle.runtime.devTenantHandle;
    if (!tenantId || !dev) throw new Error('no dev tenant');
    const before = await pickUsers(handle, tenantId);
    dev.ops(tenantId).delete('user', before.current.aadObjectId);

    const after = await pickUsers(handle, tenantId);
    const adminIds = [after.current.aadObjectId, after.secondAdmin.aadObjectId];
    expect(new Set(adminIds).size).toBe(2);
    expect(adminIds).not.toContain(before.current.aadObjectId);
    // Every mocked user is a real, active user of the dev tenant.
    for (const u of [after.current, after.secondAdmin, after.nonAdmin, ...after.others]) {
      expect(dev.ops(tenantId).get('user', u.aadObjectId).state).toBe('active');
    }
  }, 60_000);
});
