// The Cosmos DB containers the Bicep creates, generated from the store's own definition
// (src/store/cosmos-containers.ts) so partition keys and composite indexes cannot drift:
// `npx tsx infra/cosmos-containers.ts` rewrites infra/cosmos-containers.json, which
// infra/modules/cosmos.bicep loads with loadJsonContent(). tests/infra checks they are equal.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTAINER_NAMES, CONTAINERS } from '../src/store/cosmos-containers.ts';

export interface BicepContainer {
  name: string;
  partitionKeyPaths: string[];
  indexingPolicy: {
    indexingMode: 'consistent';
    automatic: true;
    includedPaths: { path: string }[];
    excludedPaths: { path: string }[];
    compositeIndexes: { path: string; order: string }[][];
  };
}

/** The containers as the Bicep needs them: full indexing policy (Cosmos' defaults + the store's). */
export function bicepContainers(): BicepContainer[] {
  return CONTAINER_NAMES.map((name) => {
    const request = CONTAINERS[name];
    const paths =
      request.partitionKey && typeof request.partitionKey === 'object' ? request.partitionKey.paths : [];
    return {
      name: request.id ?? name,
      partitionKeyPaths: [...(paths ?? [])],
      indexingPolicy: {
        indexingMode: 'consistent',
        automatic: true,
        includedPaths: [{ path: '/*' }],
        excludedPaths: [
          { path: '/"_etag"/?' },
          ...(request.indexingPolicy?.excludedPaths ?? []).map((p) => ({ path: p.path ?? '' })),
        ],
        compositeIndexes: (request.indexingPolicy?.compositeIndexes ?? []).map((set) =>
          set.map((c) => ({ path: c.path ?? '', order: c.order ?? 'ascending' })),
        ),
      },
    };
  });
}

export const CONTAINERS_JSON = join(dirname(fileURLToPath(import.meta.url)), 'cosmos-containers.json');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CONTAINERS_JSON, `${JSON.stringify(bicepContainers(), null, 2)}\n`);
  // In the project's one format (CI's lint checks JSON too).
  execFileSync('npx', ['biome', 'format', '--write', CONTAINERS_JSON], { stdio: 'ignore' });
  process.stdout.write(`wrote ${CONTAINERS_JSON}\n`);
}
