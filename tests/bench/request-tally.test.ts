import { describe, expect, it } from 'vitest';
import { endpointOf, requestTally } from '../../bench/lib/request-tally.ts';
import type { AppContext } from '../../src/app-context.ts';
import type { BatchRequestItem, GraphClient } from '../../src/graph/gateway.ts';

describe('request tally of the incremental scenario', () => {
  it('names an endpoint without host, version, query or ids', () => {
    expect(endpointOf('https://127.0.0.1:4000/v1.0/users/delta?$deltatoken=abc')).toBe('users/delta');
    expect(endpointOf('/auditLogs/directoryAudits?$filter=x')).toBe('auditLogs/directoryAudits');
    expect(endpointOf('/servicePrincipals/0f9a1c2e-1111-4222-8333-944445555666/appRoleAssignedTo')).toBe(
      'servicePrincipals/{id}/appRoleAssignedTo',
    );
    expect(endpointOf('/beta/groups')).toBe('groups');
  });

  it('counts each page read and each $batch chunk of 20 against its endpoint', async () => {
    const fake = {
      tenantId: 't',
      stats: { requests: 0, throttled: 0, retries: 0 },
      async getPage() {
        return { value: [] };
      },
      async *pages() {
        yield { value: [1] };
        yield { value: [2] };
      },
      async batch(items: BatchRequestItem[]) {
        return items.map((i) => ({ id: i.id, status: 200, headers: {}, body: {} }));
      },
    } as unknown as GraphClient;
    const ctx = { graph: { forBackup: () => fake, forRestore: () => fake } } as unknown as AppContext;
    const tally = requestTally(ctx);
    const client = tally.ctx.graph.forBackup('t');
    await client.getPage('/users/delta?$select=id');
    for await (const _ of client.pages('/groups/delta')) {
      // two pages
    }
    await client.batch(
      Array.from({ length: 21 }, (_, i) => ({
        id: String(i),
        method: 'GET' as const,
        url: `/servicePrincipals/0f9a1c2e-1111-4222-8333-9444455556${String(i).padStart(2, '0')}/appRoleAssignedTo`,
      })),
    );
    expect(tally.counts()).toEqual({
      'groups/delta': 2,
      '$batch(servicePrincipals/{id}/appRoleAssignedTo)': 2,
      'users/delta': 1,
    });
  });
});
