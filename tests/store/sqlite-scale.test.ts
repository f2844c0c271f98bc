// At scale (STORE_BIG=1): a full backup's commits of 100,000 users (versions and objects, pages
// of 999) timed, then searches as the tab and the bot send them (type, deleted filter, sorts,
// both directions, next pages): p50 and p99 printed beside the machine's load, p99 ≤ 50 ms.
// Wall time on a loaded machine includes waiting for a core, so CPU time per query is printed
// and asserted too; the wall-time target is asserted when the machine is not overloaded.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import type { ObjectListQuery, ObjectRecord, RunRecord, VersionRecord } from '../../src/store/store.ts';

const BIG = process.env.STORE_BIG === '1';
const FIRST = [
  'Alice',
  'Bob',
  'Carol',
  'Dave',
  'Erin',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
  'Judy',
  'Mallory',
  'Niaj',
  'Olivia',
  'Peggy',
  'Rupert',
  'Sybil',
  'Trent',
  'Victor',
  'Walter',
  'Zoe',
];
const LAST = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
];

function person(tenantId: string, i: number): { object: ObjectRecord; version: VersionRecord } {
  const first = FIRST[i % FIRST.length];
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const nick = `${first}.${last}${i}`.toLowerCase();
  const id = randomUUID();
  const name = `${first} ${last} ${i}`;
  const objectType = i % 10 === 0 ? 'group' : 'user';
  // A Graph-sized object (about 1 KB of JSON), as the backup stores it.
  const content = {
    id,
    displayName: name,
    givenName: first,
    surname: last,
    userPrincipalName: `${nick}@contoso.com`,
    mail: `${nick}@mail.contoso.com`,
    mailNickname: nick,
    accountEnabled: true,
    department: 'Engineering',
    jobTitle: 'Engineer',
    officeLocation: 'Building 1',
    city: 'Seattle',
    country: 'US',
    employeeId: String(100_000 + i),
    businessPhones: ['+1 425 555 0100'],
    proxyAddresses: [`SMTP:${nick}@contoso.com`, `smtp:${nick}@mail.contoso.com`],
    createdDateTime: '2020-01-01T00:00:00Z',
  };
  const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
  const capturedAt = '2024-01-01T00:00:00.000Z';
  const version: VersionRecord = {
    tenantId,
    objectType,
    objectId: id,
    versionId: `${capturedAt}|${hash.slice(0, 16)}`,
    hash,
    content,
    deleted: false,
    capturedAt,
    runId: 'run-1',
    source: 'backup',
  };
  const object: ObjectRecord = {
    tenantId,
    objectType,
    objectId: id,
    displayName: name,
    searchKeys: [name.toLowerCase(), `${nick}@contoso.com`, `${nick}@mail.contoso.com`, nick, id],
    summary: {},
    deleted: i % 50 === 0,
    latestVersionId: 'v1',
    latestHash: 'h1',
    firstSeenAt: '2024-01-01T00:00:00.000Z',
    lastChangedAt: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
  };
  return { object, version };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const load = () => `load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`;

describe.runIf(BIG)('SQLite at 100,000 objects', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-big-'));
  const store = new SqliteStore({ file: path.join(dir, 'entra-backup.db') });
  const tenantId = 'big-tenant';
  const ids: string[] = [];

  beforeAll(async () => {
    await store.init();
    for (const [t, count] of [
      [tenantId, 100_000],
      ['other-tenant', 20_000],
    ] as const) {
      let run: RunRecord | undefined = await store.createRun({
        tenantId: t,
        runId: 'run-1',
        kind: 'full',
        status: 'running',
        trigger: 'manual',
        createdAt: '2024-01-01T00:00:00.000Z',
        dueAt: '2024-01-01T00:00:00.000Z',
        checkpoint: {},
        counts: {},
        graphRequests: 0,
        throttled: 0,
        errors: [],
      });
      let storeMs = 0;
      const cpu = process.cpuUsage();
      for (let start = 0; start < count; start += 999) {
        const people = Array.from({ length: Math.min(999, count - start) }, (_, k) => person(t, start + k));
        const objects = people.map((p) => p.object);
        if (t === tenantId) ids.push(...objects.map((o) => o.objectId));
        const started = process.hrtime.bigint();
        // What the backup writer does per page: read the current records, then commit.
        await store.getObjects(
          t,
          'user',
          objects.map((o) => o.objectId),
        );
        run = await store.commitPage(t, {
          versions: people.map((p) => p.version),
          objects,
          edgesAdded: [],
          edgesRemoved: [],
          ...(run ? { run: { ...run, checkpoint: { user: { nextLink: `page-${start}` } } } } : {}),
        });
        storeMs += Number(process.hrtime.bigint() - started) / 1e6;
      }
      const used = process.cpuUsage(cpu);
      console.log(
        `commit ${count} objects + versions in pages of 999: ${(storeMs / 1000).toFixed(1)} s in the store, ` +
          `${((used.user + used.system) / 1e6).toFixed(1)} s CPU for the whole loop (${load()})`,
      );
    }
  }, 600_000);

  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers the searches the tab and the bot send with p99 under 50 ms', async () => {
    const queries: ObjectListQuery[] = [];
    let seed = 1;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    for (let i = 0; i < 40; i += 1) {
      const n = (i * 7919) % 100_000;
      const first = FIRST[i % FIRST.length];
      const last = LAST[i % LAST.length];
      queries.push(
        { search: first.slice(0, 3) }, // dense prefix (the bot's find: all types, by name)
        { search: `${last.toLowerCase()} ${n}` }, // sparse substring of a name
        { search: `${n}@contoso` }, // substring of a mail
        { search: ids[n].slice(9, 18) }, // part of an object id
        { search: ids[n] }, // a whole object id
        { search: 'a' }, // one letter
        { search: 'zq' }, // two letters, no hit
        { search: `nohit${i}x` }, // sparse miss
        { search: 'contoso', sort: 'lastChange', descending: true }, // every object matches
        { search: first.toLowerCase(), deleted: 'deleted' },
        { search: last.toLowerCase(), type: 'group', sort: 'id' },
      );
      // The tab: one type, a filter, a sort, either direction.
      for (const search of [first.toLowerCase(), first.slice(0, 2), `${first} ${last}`, `${n}`]) {
        queries.push({
          type: pick(['user', 'user', 'group'] as const),
          search,
          deleted: pick(['all', 'all', 'live', 'deleted'] as const),
          sort: pick(['name', 'name', 'id', 'lastChange'] as const),
          descending: next() < 0.3,
          limit: 25,
        });
      }
    }
    for (const q of queries.slice(0, 50)) await store.listObjects(tenantId, q); // warm up
    const wall: number[] = [];
    const cpu: number[] = [];
    const slowest: [number, string][] = [];
    const measure = async (q: ObjectListQuery) => {
      const started = process.hrtime.bigint();
      const used = process.cpuUsage();
      const page = await store.listObjects(tenantId, { limit: 50, ...q });
      const c = process.cpuUsage(used);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      wall.push(ms);
      cpu.push((c.user + c.system) / 1000);
      slowest.push([ms, JSON.stringify({ ...q, continuation: q.continuation ? '…' : undefined })]);
      expect(page.items.every((o) => o.tenantId === tenantId)).toBe(true);
      return page;
    };
    for (const q of queries) {
      const page = await measure(q);
      // The next page, as a user scrolling on would ask for it.
      if (page.continuation) await measure({ ...q, continuation: page.continuation });
    }
    wall.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const p99 = percentile(wall, 0.99);
    console.log(
      `search over 100k objects: ${wall.length} queries, wall p50 ${percentile(wall, 0.5).toFixed(1)} ms, ` +
        `p99 ${p99.toFixed(1)} ms, max ${wall[wall.length - 1].toFixed(1)} ms; CPU p50 ` +
        `${percentile(cpu, 0.5).toFixed(1)} ms, p99 ${percentile(cpu, 0.99).toFixed(1)} ms (${load()})`,
    );
    slowest.sort((a, b) => b[0] - a[0]);
    console.log(
      `slowest: ${slowest
        .slice(0, 6)
        .map(([ms, q]) => `${ms.toFixed(1)} ms ${q}`)
        .join('; ')}`,
    );
    expect(percentile(cpu, 0.99)).toBeLessThan(50);
    if (os.loadavg()[0] / os.cpus().length < 2) expect(p99).toBeLessThan(50);
    else console.log(`wall-time p99 not asserted: the machine is overloaded (${load()})`);

    // And it finds what it should: an exact mail, and an id fragment.
    const hit = await store.listObjects(tenantId, { search: 'grace.smith6@contoso.com' });
    expect(hit.items.map((o) => o.displayName)).toEqual(['Grace Smith 6']);
    const byId = await store.listObjects(tenantId, { search: ids[12345].slice(0, 13).toUpperCase() });
    expect(byId.items.map((o) => o.objectId)).toContain(ids[12345]);
  }, 300_000);
});
