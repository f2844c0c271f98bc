import { describe, expect, it } from 'vitest';
import {
  APP_ROLE_AUDIT_FAMILIES,
  backupLowerBound,
  chainMs,
  GRAPH_PAGING,
  incrementalLowerBound,
  paceFloorMs,
  pagesFor,
  ratio,
  restoreLowerBound,
  streamBound,
  streamRequests,
} from '../../bench/lib/lower-bounds.ts';
import { percentile, summarize } from '../../bench/lib/stats.ts';
import { fullBackupStreams } from '../../bench/lib/tenant-streams.ts';

const LATENCY = { perRequestMs: 120, perObjectMs: 0.4 };

describe('pages', () => {
  it('counts whole pages, and an empty collection still costs one request', () => {
    expect(pagesFor(0, 200)).toBe(1);
    expect(pagesFor(200, 200)).toBe(1);
    expect(pagesFor(201, 200)).toBe(2);
    expect(pagesFor(100_000, 999)).toBe(101);
    expect(() => pagesFor(-1, 10)).toThrow(/items must be ≥ 0/);
    expect(() => pagesFor(5, 0)).toThrow(/perPage must be ≥ 1/);
  });

  it('a delta page is bounded by objects and by inline links, whichever needs more pages', () => {
    const groups = { name: 'group', kind: 'delta' as const, objects: 10_000, links: 400_000 };
    expect(streamRequests(groups, GRAPH_PAGING)).toBe(400);
    expect(streamRequests({ ...groups, links: 1_000 }, GRAPH_PAGING)).toBe(50);
    expect(streamRequests({ name: 's', kind: 'signIns', objects: 100_000 }, GRAPH_PAGING)).toBe(100);
    expect(streamRequests({ name: 'r', kind: 'listing', objects: 1_000 }, GRAPH_PAGING)).toBe(2);
  });

  it('per-object relations ride 20 to a $batch, and cost nothing without parents', () => {
    const rel = { name: 'sp.rel', kind: 'perObject' as const, objects: 2_000, items: 6_000, parent: 'sp' };
    expect(streamRequests(rel, GRAPH_PAGING)).toBe(100);
    expect(streamRequests({ ...rel, objects: 0 }, GRAPH_PAGING)).toBe(0);
  });
});

describe('time', () => {
  it('a chain costs the latency per page plus the per-object latency per returned object', () => {
    // 100,000 users in 500 delta pages: 500 × 120 ms + 100,000 × 0.4 ms.
    expect(chainMs(500, 100_000, LATENCY)).toBe(100_000);
    const users = streamBound({ name: 'user', kind: 'delta', objects: 100_000 }, GRAPH_PAGING, LATENCY);
    expect(users).toMatchObject({ requests: 500, chainMs: 100_000, paceFloorMs: 0, criticalMs: 100_000 });
  });

  it("Graph's pace (a token bucket) is a floor: 100 sign-in pages at 5 per 10 s take 190 s and more", () => {
    expect(paceFloorMs(100, { requests: 5, windowMs: 10_000 }, 520)).toBe(190_520);
    expect(paceFloorMs(5, { requests: 5, windowMs: 10_000 }, 520)).toBe(520);
    expect(paceFloorMs(7, { requests: 5, windowMs: 10_000 }, 520)).toBe(4_520);
    expect(paceFloorMs(0, { requests: 5, windowMs: 10_000 }, 520)).toBe(0);
    expect(paceFloorMs(9, undefined, 520)).toBe(0);
    const signIns = streamBound(
      { name: 'signIn', kind: 'signIns', objects: 100_000, pace: { requests: 5, windowMs: 10_000 } },
      GRAPH_PAGING,
      LATENCY,
    );
    expect(signIns.chainMs).toBe(100 * 120 + 100_000 * 0.4);
    expect(signIns.criticalMs).toBe(signIns.paceFloorMs);
    expect(signIns.paceFloorMs).toBe(190_000 + 520);
  });

  it('the critical path is the longest stream; a per-object stream waits for its parent', () => {
    const bound = backupLowerBound(
      [
        { name: 'user', kind: 'delta', objects: 1_000 },
        { name: 'servicePrincipal', kind: 'delta', objects: 2_000 },
        { name: 'sp.rel', kind: 'perObject', objects: 2_000, items: 4_000, parent: 'servicePrincipal' },
      ],
      GRAPH_PAGING,
      LATENCY,
    );
    expect(bound.requests).toBe(5 + 10 + 100);
    const spChain = 10 * 120 + 2_000 * 0.4;
    expect(bound.criticalPathMs).toBeCloseTo(spChain + 120 + 40 * 0.4, 6);
    expect(bound.criticalStream).toBe('sp.rel');
    expect(() =>
      backupLowerBound([{ name: 'x', kind: 'perObject', objects: 1, parent: 'nope' }], GRAPH_PAGING, LATENCY),
    ).toThrow(/parent nope/);
  });

  it("the tenant's resource-unit budget bounds the time when requests are many", () => {
    const bound = backupLowerBound(
      [{ name: 'group', kind: 'delta', objects: 2_000_000, ruPerRequest: 1 }],
      GRAPH_PAGING,
      { perRequestMs: 0, perObjectMs: 0 },
      { ruPerWindow: 8_000, windowMs: 10_000 },
    );
    expect(bound.requests).toBe(10_000);
    expect(bound.ruFloorMs).toBe(2_500);
    expect(bound.criticalStream).toBe('resource-unit budget');
  });
});

describe('scenario bounds', () => {
  it('full backup of the issue-8 tenant: sign-ins paced by Graph or the groups chain set the path', () => {
    const streams = fullBackupStreams({
      objects: {
        user: 100_000,
        group: 10_000,
        directoryRole: 12,
        roleDefinition: 120,
        roleAssignment: 300,
        application: 2_000,
        servicePrincipal: 2_000,
        device: 20_000,
        administrativeUnit: 200,
        conditionalAccessPolicy: 10,
        signIn: 100_000,
      },
      deltaLinks: {
        group: 400_000,
        directoryRole: 40,
        application: 2_000,
        device: 20_000,
        administrativeUnit: 2_000,
      },
      appRoleAssignments: 3_000,
    });
    const bound = backupLowerBound(streams, GRAPH_PAGING, LATENCY);
    const byName = Object.fromEntries(bound.streams.map((s) => [s.name, s.requests]));
    expect(byName).toMatchObject({ user: 500, group: 400, signIn: 100, device: 100, roleDefinition: 1 });
    // groups: 400 pages × 120 ms + 410,000 returned × 0.4 ms = 212 s > sign-ins' 190.5 s floor.
    expect(bound.criticalStream).toBe('group');
    expect(bound.criticalPathMs).toBe(400 * 120 + 410_000 * 0.4);
    expect(() =>
      fullBackupStreams({ objects: {}, deltaLinks: {}, appRoleAssignments: 0 }, ['unknownType']),
    ).toThrow(/no stream model/);
  });

  it('incremental: the pages the changes fill, one round per unchanged delta type, listings whole', () => {
    const bound = incrementalLowerBound(
      [
        { name: 'user', kind: 'delta', changed: 1_000 },
        { name: 'group', kind: 'delta', changed: 100, changedLinks: 2_500 },
        { name: 'device', kind: 'delta', changed: 0 },
        { name: 'roleDefinition', kind: 'listing', changed: 0, total: 120 },
      ],
      GRAPH_PAGING,
    );
    expect(bound.perStream).toEqual([
      { name: 'user', requests: 5 },
      { name: 'group', requests: 3 },
      { name: 'device', requests: 1 },
      { name: 'roleDefinition', requests: 1 },
    ]);
    expect(bound.requests).toBe(10);
  });

  it('incremental: a relationship without delta costs its audit-log reads, then a $batch per 20 changed parents', () => {
    const audited = {
      name: 'servicePrincipal.appRoleAssignedTo',
      kind: 'audited' as const,
      changed: 0,
      auditQueries: APP_ROLE_AUDIT_FAMILIES,
    };
    // Scenario 2 as run: 1,000 users, 88 groups, 20 apps, 200 devices changed; nothing else.
    const scenario = incrementalLowerBound(
      [
        { name: 'user', kind: 'delta', changed: 1_000 },
        { name: 'group', kind: 'delta', changed: 88 },
        { name: 'directoryRole', kind: 'delta', changed: 0 },
        { name: 'roleDefinition', kind: 'listing', changed: 0, total: 20 },
        { name: 'roleAssignment', kind: 'listing', changed: 0, total: 22 },
        { name: 'application', kind: 'delta', changed: 20 },
        { name: 'servicePrincipal', kind: 'delta', changed: 0 },
        { name: 'device', kind: 'delta', changed: 200 },
        { name: 'administrativeUnit', kind: 'delta', changed: 0 },
        { name: 'conditionalAccessPolicy', kind: 'listing', changed: 0, total: 5 },
        { name: 'signIn', kind: 'signIns', changed: 0 },
        audited,
      ],
      GRAPH_PAGING,
    );
    expect(scenario.perStream.at(-1)).toEqual({ name: 'servicePrincipal.appRoleAssignedTo', requests: 2 });
    expect(scenario.requests).toBe(5 + 10 + 2);
    expect(incrementalLowerBound([{ ...audited, changed: 21 }], GRAPH_PAGING).requests).toBe(2 + 2);
    expect(() => incrementalLowerBound([{ ...audited, auditQueries: 0 }], GRAPH_PAGING)).toThrow(
      /auditQueries ≥ 1/,
    );
  });

  it('restore of 200 soft-deleted users: batched live reads, restores, read-backs and only the adds needed', () => {
    expect(restoreLowerBound(200, 0, 0, GRAPH_PAGING)).toEqual({ requests: 20, reads: 10, writes: 10 });
    expect(restoreLowerBound(200, 200, 0, GRAPH_PAGING)).toEqual({ requests: 30, reads: 20, writes: 10 });
    // Adds follow the restores they depend on: never in the same batch.
    expect(restoreLowerBound(200, 200, 100, GRAPH_PAGING).writes).toBe(15);
    expect(restoreLowerBound(10, 10, 1, GRAPH_PAGING).requests).toBe(4);
  });

  it('ratios round to 3 decimals and handle a zero bound', () => {
    expect(ratio(105, 100)).toBe(1.05);
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(0, 0)).toBe(1);
    expect(ratio(5, 0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('latency statistics', () => {
  it('nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(summarize([3, 1, 2])).toMatchObject({ n: 3, p50Ms: 2, p99Ms: 3, maxMs: 3, meanMs: 2 });
    expect(() => percentile([], 50)).toThrow(/no samples/);
  });
});
