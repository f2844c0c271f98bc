// Listing types (role definitions, role assignments) have no delta: every run lists them whole and
// reconciles. A run stopped dead mid-listing (its store frozen at a commit, as a killed process
// leaves it) and resumed by another worker continues from its checkpoint: Graph is asked again
// only for the pages in flight at the stop, and the store ends as an uninterrupted run's, the
// reconciliation's tombstones and closed role-assignment edges included. Dev-tenant listings fit
// in one page, so Graph here is a scripted one that pages two items at a time.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { claimRun } from '../../src/backup/claim-run.ts';
import { requestBackup } from '../../src/backup/request-backup.ts';
import { executeRun } from '../../src/backup/run-executor.ts';
import { loadConfig } from '../../src/config.ts';
import { ProductEvents } from '../../src/events.ts';
import type { GraphClient, GraphCollectionPage } from '../../src/graph/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { RunRecord, Store } from '../../src/store/store.ts';
import { type CosmosTestServer, startCosmosServer } from '../helpers/cosmos-server.ts';
import { storeFingerprint } from './store-fingerprint.ts';

const TENANT = '99999999-8888-7777-6666-555555555555';
const PAGE = 2;
const TYPES = ['roleDefinition', 'roleAssignment'] as const;
type Item = Record<string, unknown> & { id: string };

/** A tenant's role definitions and assignments, served two a page; every page read is logged. */
class ScriptedGraph {
  definitions: Item[] = [];
  assignments: Item[] = [];
  readonly reads: string[] = [];

  client(): GraphClient {
    const stats = { requests: 0, throttled: 0, retries: 0 };
    const refuse = async (): Promise<never> => {
      throw new Error('not part of this scripted Graph');
    };
    return {
      tenantId: TENANT,
      stats,
      getPage: async <T>(link: string): Promise<GraphCollectionPage<T>> => {
        stats.requests++;
        this.reads.push(link);
        const [base, query] = link.split('?');
        const skip = Number(new URLSearchParams(query ?? '').get('skip') ?? 0);
        const all = base.endsWith('/roleDefinitions') ? this.definitions : this.assignments;
        const value = all.slice(skip, skip + PAGE) as T[];
        await new Promise((resolve) => setTimeout(resolve, 2));
        return skip + PAGE < all.length ? { value, nextLink: `${base}?skip=${skip + PAGE}` } : { value };
      },
      get: refuse,
      post: refuse,
      patch: refuse,
      put: refuse,
      delete: refuse,
      pages: () => {
        throw new Error('not part of this scripted Graph');
      },
      batch: refuse,
      grantedRoles: async () => ['RoleManagement.Read.Directory'],
    };
  }
}

/**
 * A store that stops answering writes after `commits` page commits: the process died there. On
 * a store whose commits may be partial (Cosmos DB), the fatal commit leaves its data and round
 * state written without the checkpoint, as a death between those writes does.
 */
function dyingAfter(store: Store, commits: number): { store: Store; died: Promise<void> } {
  let left = commits;
  let dead = false;
  let announce = () => {};
  const died = new Promise<void>((resolve) => {
    announce = resolve;
  });
  const never = new Promise<never>(() => {});
  const dying = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'commitPage')
        return (...args: unknown[]) => {
          if (dead || left-- <= 0) {
            const first = !dead;
            dead = true;
            announce();
            const [tenantId, page] = args as Parameters<Store['commitPage']>;
            if (!first || !store.commitsMayBePartial) return never;
            return value.call(target, tenantId, { ...page, run: undefined }).then(() => never);
          }
          return value.apply(target, args);
        };
      if (prop === 'updateRun' || prop === 'deleteRoundState')
        return (...args: unknown[]) => (dead ? never : value.apply(target, args));
      return value.bind(target);
    },
  });
  return { store: dying, died };
}

let dirs: string[] = [];
let graph: ScriptedGraph;
beforeEach(() => {
  dirs = [];
  graph = new ScriptedGraph();
  const definition = (i: number) => ({
    id: `def-${i}`,
    displayName: `Role ${i}`,
    isBuiltIn: false,
    isEnabled: true,
  });
  const assignment = (i: number) => ({
    id: `asg-${i}`,
    roleDefinitionId: `def-${i % 7}`,
    principalId: `user-${i}`,
    directoryScopeId: '/',
  });
  graph.definitions = Array.from({ length: 30 }, (_, i) => definition(i));
  graph.assignments = Array.from({ length: 40 }, (_, i) => assignment(i));
});
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

let cosmos: CosmosTestServer | undefined;
afterAll(async () => {
  await cosmos?.stop();
});

async function storeIn(kind: 'sqlite' | 'cosmos'): Promise<Store> {
  const dir = await mkdtemp(path.join(tmpdir(), 'listing-kill-'));
  dirs.push(dir);
  if (kind === 'sqlite') return openStore({ dataDir: dir });
  cosmos ??= await startCosmosServer();
  const { endpoint, key, caPem } = cosmos;
  return openStore({ dataDir: dir, cosmos: { endpoint, key, caPem, database: `db-${randomUUID()}` } });
}

function contextOf(store: Store): AppContext {
  return {
    config: loadConfig({ DATA_DIR: tmpdir(), LOG_LEVEL: 'silent' }),
    log: createLogger('silent'),
    store,
    graph: { forBackup: () => graph.client(), forRestore: () => graph.client() },
    events: new ProductEvents(),
    now: () => new Date(),
  };
}

const LEASE_MS = 150;

/** Claims the tenant's run (waiting out a dead worker's lease) and executes it on `store`. */
async function execute(ctx: AppContext, run: RunRecord, worker: string): Promise<RunRecord | undefined> {
  for (let i = 0; i < 50; i++) {
    const current = await ctx.store.getRun(TENANT, run.runId);
    const claimed = current && (await claimRun(ctx, current, worker, LEASE_MS));
    if (claimed) return executeRun(ctx, claimed, { workerId: worker, leaseMs: LEASE_MS });
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
  }
  throw new Error(`run ${run.runId} could not be claimed`);
}

async function fullRun(store: Store): Promise<RunRecord | undefined> {
  const ctx = contextOf(store);
  const run = await requestBackup(ctx, TENANT, { kind: 'full', trigger: 'manual', types: [...TYPES] });
  return execute(ctx, run, 'steady');
}

describe.each(['sqlite', 'cosmos'] as const)('a listing killed mid-round (%s)', (kind) => {
  it('resumes from its checkpoint and reconciles as an uninterrupted run', async () => {
    const [reference, killed] = [await storeIn(kind), await storeIn(kind)];
    expect((await fullRun(reference))?.status).toBe('succeeded');
    expect((await fullRun(killed))?.status).toBe('succeeded');

    // Changes the next full run finds only by reconciliation: definitions and assignments gone
    // (their objects tombstoned, their edges closed), one moved, one new.
    graph.definitions = graph.definitions.filter((d) => !['def-3', 'def-11', 'def-29'].includes(d.id));
    graph.assignments = graph.assignments.filter(
      (a) => !['asg-0', 'asg-7', 'asg-21', 'asg-39'].includes(a.id),
    );
    graph.assignments[5] = { ...graph.assignments[5], roleDefinitionId: 'def-6' };
    graph.assignments.push({
      id: 'asg-40',
      roleDefinitionId: 'def-1',
      principalId: 'user-x',
      directoryScopeId: '/',
    });

    let reads = graph.reads.length;
    const uninterrupted = await fullRun(reference);
    expect(uninterrupted?.status).toBe('succeeded');
    const referenceReads = graph.reads.length - reads;
    expect(referenceReads).toBe(14 + 19); // every page once: 27 definitions, 37 assignments

    // The same run on the other store: dies after 10 commits, then its successor after 12 more
    // (both listings are mid-way each time), then a third worker finishes it.
    reads = graph.reads.length;
    const ctx = contextOf(killed);
    const run = await requestBackup(ctx, TENANT, { kind: 'full', trigger: 'manual', types: [...TYPES] });
    for (const [worker, commits] of [
      ['first', 10],
      ['second', 12],
    ] as const) {
      const dying = dyingAfter(killed, commits);
      void execute(contextOf(dying.store), run, worker);
      await dying.died;
      // What the dead worker had in flight reaches Graph meanwhile, as it would.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const mid = await killed.getRun(TENANT, run.runId);
    for (const type of TYPES) {
      // Each stream was stopped mid-listing, with its round state stored.
      expect(mid?.checkpoint[type]?.done).toBeFalsy();
    }
    const final = await execute(ctx, run, 'third');
    expect(final?.status).toBe('succeeded');
    expect(final?.counts).toEqual(uninterrupted?.counts);

    // Pages read twice: only those in flight at each death (a stream has up to four read and not
    // committed: the one being committed, three read ahead), never the pages committed before it.
    // Restarting the listings instead repeats 34 here.
    const killedReads = graph.reads.slice(reads);
    const repeats = killedReads.length - new Set(killedReads).size;
    if (process.env.BACKUP_TEST_FIGURES)
      console.info(`listing: ${referenceReads} pages uninterrupted, ${killedReads.length} with 2 deaths`);
    expect(killedReads.length - repeats).toBe(referenceReads);
    expect(repeats).toBeLessThanOrEqual(2 * TYPES.length * 4);

    expect(await storeFingerprint(killed, TENANT, TYPES)).toEqual(
      await storeFingerprint(reference, TENANT, TYPES),
    );
    const def3 = await killed.getObject(TENANT, 'roleDefinition', 'def-3');
    expect(def3?.deleted).toBe(true);
    const alive = await killed.listEdges(TENANT, { kind: 'roleAssignment' });
    expect(alive.map((e) => e.attrs?.assignmentId).sort()).toEqual(graph.assignments.map((a) => a.id).sort());
    // The finished run keeps no round state.
    const left = [];
    for (const type of TYPES)
      for await (const c of killed.readRoundState?.(TENANT, run.runId, type, 50) ?? []) left.push(c);
    expect(left).toEqual([]);
    await reference.close();
    await killed.close();
  }, 60_000);
});
