// Scenario 3 at 100,000 users in minutes, through the tab's HTTP API: `npx tsx
// bench/search-tab-api-100k.ts [--users 100000] [--queries 300]`. A private dev tenant (30 real
// users, backed up for real, one of them signs in) plus synthetic users committed straight to the
// SQLite store (the full backup of scenario 1 takes half an hour here; search reads only object
// records, built by the backup's own objectRecordFor). Prints one JSON line: store and HTTP p50/p99
// per query kind, and the load average before and after (the machine is shared).
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { objectRecordFor } from '../src/backup/page-writer.ts';
import { runBackupNow } from '../src/backup/run-now.ts';
import { FIRST_NAMES, LAST_NAMES } from '../src/devtenant/seed-data.ts';
import type { GraphObject } from '../src/domain.ts';
import type { ObjectRecord, Store, VersionRecord } from '../src/store/store.ts';
import { defaultDevTenantDir } from '../src/tab-api/auth/tab-auth-settings.ts';
import { createTestWorld } from '../tests/helpers/test-world.ts';
import { summarize, timed } from './lib/stats.ts';
import { spread } from './lib/tenant-writes.ts';
import { queriesFrom } from './scenarios/search.ts';
import { measureTabApiSearch } from './scenarios/search-tab-api.ts';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '100000' }, queries: { type: 'string', default: '300' } },
});
const USERS = Number(values.users);
const QUERIES = Number(values.queries);

function syntheticUser(tenantId: string, i: number, at: string): ObjectRecord {
  const first = FIRST_NAMES[i % FIRST_NAMES.length];
  const last = LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length];
  const id = `${(0x10000000 + i).toString(16)}-5eed-4000-8000-${i.toString(16).padStart(12, '0')}`;
  const upn = `${first}.${last}${i}@contoso-bench.example`.toLowerCase();
  const content: GraphObject = {
    id,
    displayName: `${first} ${last}`,
    userPrincipalName: upn,
    mail: upn,
    mailNickname: upn.split('@')[0],
  };
  const version = { versionId: `v-${id}`, hash: `h-${i}`, capturedAt: at } as VersionRecord;
  return objectRecordFor(tenantId, 'user', content, version, undefined);
}

async function seed(store: Store, tenantId: string, count: number, at: string): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const objects = Array.from({ length: Math.min(1000, count - i) }, (_, k) =>
      syntheticUser(tenantId, i + k, at),
    );
    await store.commitPage(tenantId, { versions: [], objects, edgesAdded: [], edgesRemoved: [] });
  }
}

async function storeSearch(store: Store, tenantId: string, queries: string[]) {
  const samples: number[] = [];
  for (const q of queries)
    samples.push(
      (
        await timed(() =>
          store.listObjects(tenantId, { type: 'user', search: q, deleted: 'all', sort: 'name', limit: 50 }),
        )
      ).ms,
    );
  return summarize(samples);
}

const loadBefore = loadavg();
const world = await createTestWorld({ users: 30 });
try {
  const { ctx, tenantId } = world;
  await runBackupNow(ctx, tenantId, { kind: 'full', trigger: 'manual' });
  const seedMs = (await timed(() => seed(ctx.store, tenantId, USERS, ctx.now().toISOString()))).ms;
  const all: ObjectRecord[] = [];
  let continuation: string | undefined;
  do {
    const page = await ctx.store.listObjects(tenantId, {
      type: 'user',
      deleted: 'all',
      limit: 1000,
      continuation,
    });
    all.push(...page.items);
    continuation = page.continuation;
  } while (continuation);
  const queries = queriesFrom(spread(all, all.length), QUERIES);
  const signer = all.find((u) => String(u.summary.userPrincipalName ?? '').endsWith('.onmicrosoft.com'));
  if (!signer) throw new Error('no real user to sign in');
  // One unmeasured pass: both measurements then read a warm SQLite page cache.
  for (const q of [...queries.prefix, ...queries.substring, ...queries.id])
    await ctx.store.listObjects(tenantId, {
      type: 'user',
      search: q,
      deleted: 'all',
      sort: 'name',
      limit: 50,
    });
  const store = {
    prefix: await storeSearch(ctx.store, tenantId, queries.prefix),
    substring: await storeSearch(ctx.store, tenantId, queries.substring),
    id: await storeSearch(ctx.store, tenantId, queries.id),
  };
  const devTenant = ctx.devTenant;
  if (!devTenant) throw new Error('the dev tenant did not start');
  const http = await measureTabApiSearch(
    {
      ctx,
      devTenantDir: defaultDevTenantDir(ctx),
      authorityUrl: devTenant.authorityUrl,
      upn: String(signer.summary.userPrincipalName),
    },
    queries,
    (q) =>
      ctx.store.listObjects(tenantId, { type: 'user', search: q, deleted: 'all', sort: 'name', limit: 50 }),
  );
  console.log(
    JSON.stringify({
      scenario: 'search-tab-api',
      users: all.length,
      queriesPerKind: QUERIES,
      seedSeconds: Math.round(seedMs / 100) / 10,
      store,
      http,
      loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
      loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100),
    }),
  );
} finally {
  await world.close();
}
