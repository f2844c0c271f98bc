// Finds the user or group an admin means: a name, part of the UPN or mail, or the object id,
// against the backup (deleted objects included, so a deleted user can be found to restore it).
import type { AppContext } from '../src/app-context.ts';
import { findObjects } from '../src/backup/resolve-object.ts';
import type { ObjectType } from '../src/domain.ts';
import type { ObjectRecord } from '../src/store/store.ts';
import { editDistance } from './command-parser.ts';

export type Resolution =
  | { kind: 'one'; object: ObjectRecord }
  | { kind: 'many'; objects: ObjectRecord[]; more: boolean }
  | { kind: 'none'; suggestions: ObjectRecord[] };

const MAX_CHOICES = 10;

export async function resolveObject(
  ctx: AppContext,
  tenantId: string,
  objectType: ObjectType,
  name: string,
): Promise<Resolution> {
  const query = name.trim().toLowerCase();
  const byId = await ctx.store.getObject(tenantId, objectType, name.trim());
  if (byId) return { kind: 'one', object: byId };
  const hits = await findObjects(ctx, tenantId, query, { type: objectType, limit: MAX_CHOICES + 1 });
  const exact = hits.filter(
    (o) =>
      o.objectId.toLowerCase() === query ||
      o.displayName.toLowerCase() === query ||
      String(o.summary.userPrincipalName ?? '').toLowerCase() === query ||
      String(o.summary.mail ?? '').toLowerCase() === query,
  );
  if (exact.length === 1) return { kind: 'one', object: exact[0] };
  if (hits.length === 1) return { kind: 'one', object: hits[0] };
  if (hits.length > 1)
    return {
      kind: 'many',
      objects: hits.slice(0, MAX_CHOICES),
      more: hits.length > MAX_CHOICES,
    };
  return { kind: 'none', suggestions: await suggest(ctx, tenantId, objectType, query) };
}

/** Close names: objects sharing the first letters, ranked by edit distance. */
async function suggest(
  ctx: AppContext,
  tenantId: string,
  objectType: ObjectType,
  query: string,
): Promise<ObjectRecord[]> {
  const stem = query.split(/[@\s.]/)[0].slice(0, 3);
  if (stem.length < 2) return [];
  const candidates = await findObjects(ctx, tenantId, stem, { type: objectType, limit: 50 });
  const score = (o: ObjectRecord) =>
    Math.min(
      editDistance(query, o.displayName.toLowerCase()),
      editDistance(query, String(o.summary.userPrincipalName ?? o.summary.mail ?? '').toLowerCase()),
    );
  return candidates
    .map((o) => ({ o, s: score(o) }))
    .sort((a, b) => a.s - b.s)
    .slice(0, 5)
    .map((x) => x.o);
}

export function secondaryName(object: ObjectRecord): string {
  return String(
    object.summary.userPrincipalName ?? object.summary.mail ?? object.summary.mailNickname ?? '—',
  );
}

export function objectLabel(object: ObjectRecord): string {
  const state = object.deleted
    ? object.deletionKind === 'hard'
      ? ' (deleted for good)'
      : ' (deleted, in recycle bin)'
    : '';
  return `${object.displayName}${state}`;
}
