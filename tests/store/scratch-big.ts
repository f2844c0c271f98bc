import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import type { ObjectListQuery, ObjectRecord } from '../../src/store/store.ts';
const FIRST = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Zoe'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin'];
function person(tenantId: string, i: number): ObjectRecord {
  const first = FIRST[i % FIRST.length]; const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const nick = `${first}.${last}${i}`.toLowerCase(); const id = randomUUID(); const name = `${first} ${last} ${i}`;
  return { tenantId, objectType: i % 10 === 0 ? 'group' : 'user', objectId: id, displayName: name,
    searchKeys: [name.toLowerCase(), `${nick}@contoso.com`, `${nick}@mail.contoso.com`, nick, id], summary: {}, deleted: i % 50 === 0,
    latestVersionId: 'v1', latestHash: 'h1', firstSeenAt: '2024-01-01T00:00:00.000Z', lastChangedAt: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() };
}
const file = '/tmp/bigdb/entra-backup.db';
const fresh = !fs.existsSync(file);
const store = new SqliteStore({ file });
await store.init();
if (fresh) {
  for (const [t, count] of [['big', 100000], ['other', 20000]] as const)
    for (let s = 0; s < count; s += 2000)
      await store.commitPage(t, { versions: [], objects: Array.from({ length: Math.min(2000, count - s) }, (_, k) => person(t, s + k)), edgesAdded: [], edgesRemoved: [] });
}
const qs: [string, ObjectListQuery][] = [
  ['dense prefix', { search: 'ali' }], ['sparse name', { search: 'smith 6791' }], ['mail', { search: '6791@contoso' }],
  ['one letter', { search: 'a' }], ['two miss', { search: 'zq' }], ['sparse miss', { search: 'nohit1x' }],
  ['contoso lastChange desc', { search: 'contoso', sort: 'lastChange', descending: true }],
  ['deleted grace', { search: 'grace', deleted: 'deleted' }], ['group smith id', { search: 'smith', type: 'group', sort: 'id' }],
  ['no search', {}], ['no search deleted', { deleted: 'deleted' }],
];
for (const [name, q] of qs) {
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await store.listObjects('big', { limit: 50, ...q });
  console.log(name.padEnd(28), ((performance.now() - t0) / 5).toFixed(1), 'ms');
}
console.log(fs.statSync(file).size / 1e6, 'MB');
