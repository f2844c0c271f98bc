// Test-side access to the dev tenant of a TestWorld: its state operations (the mutation API)
// and the spec child processes need to reach the same tenant and store.

import type { TenantOps } from '../../src/devtenant/tenant-ops.ts';
import type { TestWorld } from '../helpers/test-world.ts';
import type { WorldSpec } from './fixtures/world-context.ts';

export function opsFor(world: TestWorld, tenantId: string): TenantOps {
  return world.devTenant.ops(tenantId);
}

export function specOf(world: TestWorld, extra: Partial<WorldSpec> = {}): WorldSpec {
  const dev = world.devTenant;
  return {
    dataDir: world.dataDir,
    graphBaseUrl: `${dev.graphUrl}/v1.0`,
    authorityHost: dev.authorityUrl,
    caPem: dev.caPem,
    backup: dev.apps.backup,
    tenantIds: dev.tenants.map((t) => t.tenantId),
    ...extra,
  };
}
