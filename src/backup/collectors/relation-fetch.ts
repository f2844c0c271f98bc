// Relationships Graph has no delta for (application owners, device owners, app role
// assignments, AU members, directory role members): read per object, 20 objects per $batch,
// following nextLink for the rare long lists.
import type { ObjectType } from '../../domain.ts';
import type { GraphClient } from '../../graph/gateway.ts';
import type { PerObjectRelation } from '../type-specs.ts';
import type { CollectedPage, EdgeChange, EdgeTarget } from './collector.ts';

type Item = Record<string, unknown> & { id?: string };

function targetOf(rel: PerObjectRelation, item: Item): EdgeTarget | undefined {
  if (rel.kind === 'appRoleAssignment') {
    const principalId = item.principalId;
    if (typeof principalId !== 'string' || typeof item.id !== 'string') return undefined;
    const principalType = typeof item.principalType === 'string' ? item.principalType : undefined;
    return {
      targetId: principalId,
      ...(principalType ? { targetType: `#microsoft.graph.${principalType.toLowerCase()}` } : {}),
      discriminator: item.id,
      attrs: { assignmentId: item.id, appRoleId: item.appRoleId ?? null },
    };
  }
  if (typeof item.id !== 'string') return undefined;
  const odataType = item['@odata.type'];
  return { targetId: item.id, ...(typeof odataType === 'string' ? { targetType: odataType } : {}) };
}

function relationUrl(basePath: string, id: string, rel: PerObjectRelation, paged: boolean): string {
  const url = `${basePath}/${encodeURIComponent(id)}/${rel.segment}`;
  if (!paged) return url;
  const fields = rel.kind === 'appRoleAssignment' ? 'id,principalId,principalType,appRoleId' : 'id';
  return `${url}?$select=${fields}`;
}

/**
 * Reads `relations` of each object and returns one `replace` edge change per object and
 * relation; objects whose relation could not be read are reported in `failed`. An object gone
 * meanwhile (404) gets no change: its deletion arrives through its own stream.
 */
export async function fetchRelations(
  client: GraphClient,
  sourceType: ObjectType,
  basePath: string,
  ids: string[],
  relations: PerObjectRelation[],
  options: { paged?: boolean } = {},
): Promise<Pick<CollectedPage, 'edges' | 'failed'>> {
  const paged = options.paged ?? true;
  const requests = ids.flatMap((id) => relations.map((rel) => ({ id, rel })));
  const edges: EdgeChange[] = [];
  const failed: NonNullable<CollectedPage['failed']> = [];
  if (requests.length === 0) return { edges, failed };
  const answers = await client.batch(
    requests.map((r, i) => ({
      id: String(i),
      method: 'GET' as const,
      url: relationUrl(basePath, r.id, r.rel, paged),
    })),
  );
  for (let i = 0; i < requests.length; i++) {
    const { id, rel } = requests[i];
    const answer = answers[i];
    if (answer.status === 404) continue;
    const body = (answer.body ?? {}) as { value?: Item[]; '@odata.nextLink'?: string; error?: Item };
    if (answer.status !== 200 || !Array.isArray(body.value)) {
      const err = (body.error ?? {}) as {
        code?: string;
        message?: string;
        innerError?: Record<string, string>;
      };
      failed.push({
        type: sourceType,
        id,
        code: err.code ?? `HTTP_${answer.status}`,
        message: `reading ${rel.segment} of ${sourceType} ${id}: ${err.message ?? `status ${answer.status}`}`,
        requestId: answer.headers?.['request-id'] ?? err.innerError?.['request-id'],
      });
      continue;
    }
    const items: Item[] = [...body.value];
    let next = body['@odata.nextLink'];
    while (next) {
      const page = await client.getPage<Item>(next);
      items.push(...page.value);
      next = page.nextLink;
    }
    const targets = items.map((item) => targetOf(rel, item)).filter((t): t is EdgeTarget => t !== undefined);
    edges.push({ sourceType, sourceId: id, kind: rel.kind, mode: 'replace', targets });
  }
  return { edges, failed };
}
