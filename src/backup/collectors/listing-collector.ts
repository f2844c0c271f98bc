// Types Graph has no delta for (role definitions, role assignments, conditional access
// policies): a complete listing every run, then reconciliation against the store. These
// collections are small; a resumed listing starts over and hash comparison writes nothing twice.
import type { GraphObject } from '../../domain.ts';
import type { GraphCollectionPage } from '../../graph/gateway.ts';
import type { TypeSpec } from '../type-specs.ts';
import type { CollectedPage, CollectorContext, EdgeChange, EdgeTarget, ObjectChange } from './collector.ts';
import { reconcileObjects } from './delta-collector.ts';
import { pacerFor } from './pacers.ts';

type Item = Record<string, unknown> & { id: string };

export function listingCollector(spec: TypeSpec) {
  const first = spec.query ? `${spec.path}?${spec.query}` : spec.path;
  return async function* collect(c: CollectorContext): AsyncIterable<CollectedPage> {
    const pacer = pacerFor(c.tenantId, spec);
    const seen = new Set<string>();
    // Role assignments become edges roleDefinition → principal, replaced per definition.
    const assignments = new Map<string, EdgeTarget[]>();
    const cursor = { fullSync: true };
    let link: string | undefined = first;
    while (link) {
      await pacer.take();
      const page: GraphCollectionPage<Item> = await c.client.getPage<Item>(link);
      const changes: ObjectChange[] = page.value.map((item) => {
        seen.add(item.id);
        return { type: spec.type, id: item.id, object: item as GraphObject };
      });
      if (spec.type === 'roleAssignment') {
        for (const a of page.value) {
          if (typeof a.roleDefinitionId !== 'string' || typeof a.principalId !== 'string') continue;
          const list = assignments.get(a.roleDefinitionId) ?? [];
          list.push({
            targetId: a.principalId,
            discriminator: a.id,
            attrs: { assignmentId: a.id, directoryScopeId: a.directoryScopeId ?? '/' },
          });
          assignments.set(a.roleDefinitionId, list);
        }
      }
      link = page.nextLink;
      yield { changes, edges: [], cursor };
    }
    if (spec.type === 'roleAssignment') yield await assignmentEdges(c, assignments, cursor);
    yield* reconcileObjects(c, spec, seen, cursor);
    yield { changes: [], edges: [], cursor: { done: true, fullSync: true } };
  };
}

async function assignmentEdges(
  c: CollectorContext,
  assignments: Map<string, EdgeTarget[]>,
  cursor: CollectedPage['cursor'],
): Promise<CollectedPage> {
  // Definitions that had assignments before and have none now must have their edges closed too.
  const sources = new Set(assignments.keys());
  for (const e of await c.ctx.store.listEdges(c.tenantId, { kind: 'roleAssignment' }))
    sources.add(e.sourceId);
  const edges: EdgeChange[] = [...sources].map((sourceId) => ({
    sourceType: 'roleDefinition',
    sourceId,
    kind: 'roleAssignment',
    mode: 'replace',
    targets: assignments.get(sourceId) ?? [],
  }));
  return { changes: [], edges, cursor };
}
