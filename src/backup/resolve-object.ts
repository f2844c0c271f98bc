// Finds the object a person means by a partial UPN, a name or an id (deleted objects included).
// Shared by the CLI, the bot and restore: one place decides what "user adele" refers to.
import type { AppContext } from '../app-context.ts';
import { OBJECT_TYPES, type ObjectType } from '../domain.ts';
import type { ObjectRecord } from '../store/store.ts';

export class ObjectResolveError extends Error {
  override readonly name = 'ObjectResolveError';
  constructor(
    readonly code: 'NOT_FOUND' | 'AMBIGUOUS',
    message: string,
    readonly candidates: ObjectRecord[] = [],
  ) {
    super(message);
  }
}

/** 'user', 'users', 'User', 'ca'… → the object type; undefined when unknown. */
export function parseObjectType(text: string): ObjectType | undefined {
  const t = text.trim().toLowerCase();
  const aliases: Record<string, ObjectType> = {
    ca: 'conditionalAccessPolicy',
    policy: 'conditionalAccessPolicy',
    policies: 'conditionalAccessPolicy',
    app: 'application',
    apps: 'application',
    sp: 'servicePrincipal',
    au: 'administrativeUnit',
    role: 'directoryRole',
    roles: 'directoryRole',
    signin: 'signIn',
    signins: 'signIn',
    authmethods: 'authenticationMethods',
  };
  if (aliases[t]) return aliases[t];
  return OBJECT_TYPES.find((o) => o.toLowerCase() === t || `${o.toLowerCase()}s` === t);
}

/** Objects matching `text` (prefix/substring on name, UPN, mail, nickname, id), deleted included. */
export async function findObjects(
  ctx: AppContext,
  tenantId: string,
  text: string,
  options: { type?: ObjectType; limit?: number; deleted?: 'all' | 'live' | 'deleted' } = {},
): Promise<ObjectRecord[]> {
  const page = await ctx.store.listObjects(tenantId, {
    ...(options.type ? { type: options.type } : {}),
    search: text.trim(),
    deleted: options.deleted ?? 'all',
    sort: 'name',
    limit: options.limit ?? 20,
  });
  return page.items;
}

/** The one object `text` names; ObjectResolveError (NOT_FOUND / AMBIGUOUS with candidates) otherwise. */
export async function resolveObject(
  ctx: AppContext,
  tenantId: string,
  text: string,
  options: { type?: ObjectType } = {},
): Promise<ObjectRecord> {
  const needle = text.trim();
  const what = options.type ?? 'object';
  if (!needle) throw new ObjectResolveError('NOT_FOUND', `no ${what} name or id given`);
  if (options.type) {
    const byId = await ctx.store.getObject(tenantId, options.type, needle);
    if (byId) return byId;
  }
  const candidates = await findObjects(ctx, tenantId, needle, { type: options.type, limit: 20 });
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) throw new ObjectResolveError('NOT_FOUND', `no ${what} matches "${needle}"`);
  const lower = needle.toLowerCase();
  const exact = candidates.filter(
    (c) => c.searchKeys.includes(lower) || c.displayName.toLowerCase() === lower,
  );
  if (exact.length === 1) return exact[0];
  const liveExact = exact.filter((c) => !c.deleted);
  if (liveExact.length === 1) return liveExact[0];
  const shown = (exact.length > 1 ? exact : candidates).slice(0, 10);
  throw new ObjectResolveError(
    'AMBIGUOUS',
    `"${needle}" matches ${candidates.length}${candidates.length >= 20 ? '+' : ''} ${what}s: ${shown
      .map((c) => `${c.displayName} (${c.objectType} ${c.objectId}${c.deleted ? ', deleted' : ''})`)
      .join('; ')}`,
    shown,
  );
}
