// `npm run playground` mocks two admins of the dev tenant. The README's demo deletes a user;
// when that user was one of the two Global Administrators, the next start must still find two
// admins (the product's other default admin role counts too), not refuse to start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickUsers } from '../../scripts/playground.ts';
import type { ServeHandle } from '../../src/server/serve.ts';
import { type ServedProduct, startServedProduct } from './served-product.ts';

describe('playground: the mocked admins', () => {
  let product: ServedProduct;
  let handle: ServeHandle;

  beforeAll(async () => {
    product = await startServedProduct({ role: 'all', users: 30, prefix: 'playground-users' });
    handle = product.handle;
  });

  afterAll(async () => {
    await product?.close();
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
