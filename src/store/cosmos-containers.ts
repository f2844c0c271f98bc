// Cosmos DB containers: partition keys per the data model, and the composite indexes that the
// multi-field ORDER BY queries need (Cosmos refuses such a query without one).
import type { ContainerRequest } from '@azure/cosmos';

type Order = 'ascending' | 'descending';

function composite(paths: string[], order: Order): { path: string; order: Order }[] {
  return paths.map((path) => ({ path, order }));
}

function both(...sets: string[][]): { path: string; order: Order }[][] {
  return sets.flatMap((paths) => [composite(paths, 'ascending'), composite(paths, 'descending')]);
}

export const CONTAINER_NAMES = [
  'settings',
  'objects',
  'versions',
  'edges',
  'runs',
  'restores',
  'audit',
] as const;
export type ContainerName = (typeof CONTAINER_NAMES)[number];

// Cosmos DB wants the root path named when a policy lists excluded paths.
const ALL = [{ path: '/*' }];

export const CONTAINERS: Record<ContainerName, ContainerRequest> = {
  // Tenant settings (id 'settings'), sync state (id 'sync-state') and full rounds' state chunks,
  // one partition per tenant. Payloads no query filters on are not indexed (write RUs).
  settings: {
    id: 'settings',
    partitionKey: { paths: ['/tenantId'] },
    indexingPolicy: { includedPaths: ALL, excludedPaths: [{ path: '/data/?' }] },
  },
  // Current state of each object: the search index, one partition per tenant.
  objects: {
    id: 'objects',
    partitionKey: { paths: ['/tenantId'] },
    indexingPolicy: {
      compositeIndexes: both(
        ['/nameLower', '/objectId', '/objectType'],
        ['/objectId', '/objectType'],
        ['/lastChangedAt', '/objectId', '/objectType'],
      ),
    },
  },
  // Every version of one object in its own partition (`${tenantId}|${objectId}`).
  versions: {
    id: 'versions',
    partitionKey: { paths: ['/objectKey'] },
    indexingPolicy: {
      compositeIndexes: both(['/capturedAt', '/versionId'], ['/capturedAt', '/objectId', '/versionId']),
      // The Graph object itself: read whole, never filtered on.
      includedPaths: ALL,
      excludedPaths: [{ path: '/content/*' }],
    },
  },
  // Relationships partitioned by their source object: large groups never hit a document limit.
  edges: {
    id: 'edges',
    partitionKey: { paths: ['/objectKey'] },
    indexingPolicy: { compositeIndexes: both(['/addedAt', '/id']) },
  },
  runs: {
    id: 'runs',
    partitionKey: { paths: ['/tenantId'] },
    indexingPolicy: { compositeIndexes: both(['/createdAt', '/runId'], ['/dueAt', '/runId']) },
  },
  restores: {
    id: 'restores',
    partitionKey: { paths: ['/tenantId'] },
    indexingPolicy: { compositeIndexes: both(['/requestedAt', '/restoreId']) },
  },
  audit: {
    id: 'audit',
    partitionKey: { paths: ['/tenantId'] },
    indexingPolicy: { includedPaths: ALL, excludedPaths: [{ path: '/details/*' }] },
  },
};

/** Cosmos ids may not contain / \ ? #: those (and %, control characters) are percent-encoded. */
export function safeId(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || '/\\?#%'.includes(ch) ? `%${code.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

export function objectKey(tenantId: string, objectId: string): string {
  return `${tenantId}|${objectId}`;
}
