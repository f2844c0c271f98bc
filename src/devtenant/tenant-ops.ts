// Typed operations on one dev tenant for tests, demos, the control API and the CLI: read any
// object (whatever its state), list, and mutate as an administrator would in the portal.
import type { Db } from './dev-db.ts';
import {
  ACTIVE,
  type Json,
  PURGED,
  SOFT_DELETED,
  type StoredObject,
  TenantDirectory,
  toObject,
} from './directory.ts';
import { errors, GraphHttpError } from './graph-errors.ts';
import {
  addLink,
  deleteObject,
  findObject,
  incidentDeleteUsers,
  managerOf,
  purgeObject,
  removeLink,
  removeManager,
  restoreObject,
  setManager,
  updateObject,
} from './mutations.ts';
import { type LinkKind, resourceBySet, resourceByType, type StoredType } from './resources.ts';

export type ObjectState = 'active' | 'deleted' | 'purged';

export interface DevObject {
  type: StoredType;
  id: string;
  state: ObjectState;
  deletedAt: string | null;
  data: Json;
}

const STATE_NAME: Record<number, ObjectState> = {
  [ACTIVE]: 'active',
  [SOFT_DELETED]: 'deleted',
  [PURGED]: 'purged',
};
const STATE_CODE: Record<ObjectState, number> = { active: ACTIVE, deleted: SOFT_DELETED, purged: PURGED };

/** Accepts 'user', 'users', 'servicePrincipals', 'roleAssignments', 'ca', … */
export function parseType(input: string): StoredType {
  const aliases: Record<string, StoredType> = {
    ca: 'conditionalAccessPolicy',
    conditionalAccessPolicies: 'conditionalAccessPolicy',
    policies: 'conditionalAccessPolicy',
    roleDefinitions: 'roleDefinition',
    roleAssignments: 'roleAssignment',
    signIns: 'signIn',
    directoryAudits: 'directoryAudit',
    au: 'administrativeUnit',
    sp: 'servicePrincipal',
    app: 'application',
  };
  const t = resourceByType(input)?.type ?? resourceBySet(input)?.type ?? aliases[input];
  if (!t) throw new GraphHttpError(400, 'Request_BadRequest', `Unknown object type '${input}'.`);
  return t;
}

function toDev(obj: StoredObject): DevObject {
  return {
    type: obj.type,
    id: obj.id,
    state: STATE_NAME[obj.state],
    deletedAt: obj.deletedAt,
    data: obj.data,
  };
}

/** Parses `value` of `property=value`: JSON when it parses (false, 12, null, ["a"]), else a string. */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export class TenantOps {
  readonly dir: TenantDirectory;
  constructor(
    readonly db: Db,
    readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.dir = new TenantDirectory(db, tenantId);
    this.dir.tenant();
  }

  /** One object by id or name (UPN, mailNickname, appId, displayName), in any state. */
  get(type: StoredType | string, key: string): DevObject {
    return toDev(findObject(this.dir, parseType(type), key, [ACTIVE, SOFT_DELETED, PURGED]));
  }

  /** Objects of a type in a state (default active), ordered by id. */
  list(
    type: StoredType | string,
    options: { state?: ObjectState; limit?: number; afterId?: string } = {},
  ): DevObject[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM objects WHERE tenant_id = ? AND type = ? AND state = ? AND id > ? ORDER BY id LIMIT ?',
      )
      .all(
        this.tenantId,
        parseType(type),
        STATE_CODE[options.state ?? 'active'],
        options.afterId ?? '',
        options.limit ?? 1000,
      ) as Parameters<typeof toObject>[0][];
    return rows.map((r) => toDev(toObject(r)));
  }

  count(type: StoredType | string, state: ObjectState = 'active'): number {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM objects WHERE tenant_id = ? AND type = ? AND state = ?')
      .get(this.tenantId, parseType(type), STATE_CODE[state]) as { n: number };
    return row.n;
  }

  /** Active member (or owner) ids of a group, directory role or administrative unit. */
  members(type: StoredType | string, key: string, kind: LinkKind = 'members'): string[] {
    const source = findObject(this.dir, parseType(type), key);
    const out: string[] = [];
    let after = '';
    for (;;) {
      const page = this.dir.listLinks(kind, source.id, after, 5000);
      out.push(...page.map((l) => l.targetId));
      if (page.length < 5000) return out;
      after = page[page.length - 1].targetId;
    }
  }

  /** Sets properties directly (as a portal admin would); the property must exist on the type. */
  set(type: StoredType | string, key: string, properties: Json): DevObject {
    const t = parseType(type);
    const def = resourceByType(t);
    const obj = findObject(this.dir, t, key);
    for (const p of Object.keys(properties)) {
      if (p === 'id') throw errors.badRequest("Property 'id' cannot be changed.");
      if (!def?.properties.includes(p) && !def?.singleOnly?.includes(p))
        throw errors.badRequest(`Property '${p}' does not exist on type '${t}'.`);
    }
    if (t === 'user' && typeof properties.userPrincipalName === 'string') {
      const clash = this.dir.findActiveByKey('user', properties.userPrincipalName.toLowerCase());
      if (clash && clash.id !== obj.id) throw errors.duplicateValue('userPrincipalName');
    }
    return toDev(updateObject(this.dir, obj, properties, this.now()));
  }

  /** Deletes as Graph would: recycle bin for users, M365 groups, apps, SPs, AUs; permanent otherwise. */
  delete(type: StoredType | string, key: string): { id: string; deleted: 'soft' | 'hard' } {
    const obj = findObject(this.dir, parseType(type), key);
    return { id: obj.id, deleted: deleteObject(this.dir, obj, this.now()) };
  }

  /** Permanently deletes (from the recycle bin, or directly when active). */
  purge(type: StoredType | string, key: string): { id: string } {
    const obj = findObject(this.dir, parseType(type), key, [ACTIVE, SOFT_DELETED]);
    if (obj.state === ACTIVE) {
      const how = deleteObject(this.dir, obj, this.now());
      if (how === 'hard') return { id: obj.id };
    }
    purgeObject(this.dir, this.dir.get(obj.type, obj.id) as StoredObject, this.now());
    return { id: obj.id };
  }

  restore(type: StoredType | string, key: string): DevObject {
    const obj = findObject(this.dir, parseType(type), key, [SOFT_DELETED]);
    return toDev(restoreObject(this.dir, obj, this.now()));
  }

  addMember(
    group: string,
    member: string,
    options: { sourceType?: StoredType | string; kind?: LinkKind } = {},
  ): void {
    const source = findObject(this.dir, parseType(options.sourceType ?? 'group'), group);
    const target = this.findPrincipal(member);
    addLink(this.dir, options.kind ?? 'members', source, target, this.now());
  }

  removeMember(
    group: string,
    member: string,
    options: { sourceType?: StoredType | string; kind?: LinkKind } = {},
  ): void {
    const source = findObject(this.dir, parseType(options.sourceType ?? 'group'), group);
    const target = this.findPrincipal(member, [ACTIVE, SOFT_DELETED]);
    removeLink(this.dir, options.kind ?? 'members', source, target.id, this.now());
  }

  /** Sets (or with `null` removes) a user's manager, as PUT/DELETE /users/{id}/manager/$ref do. */
  setManager(user: string, manager: string | null): { id: string; managerId: string | null } {
    const u = findObject(this.dir, 'user', user);
    if (manager === null) {
      removeManager(this.dir, u, this.now());
      return { id: u.id, managerId: null };
    }
    const m = findObject(this.dir, 'user', manager);
    setManager(this.dir, u, m, this.now());
    return { id: u.id, managerId: m.id };
  }

  /** The user's manager id, or null. */
  managerOf(user: string): string | null {
    return managerOf(this.dir, findObject(this.dir, 'user', user).id)?.id ?? null;
  }

  /** Mass deletion: soft-deletes `count` users (Global Administrators are spared). */
  incidentDeleteUsers(count: number): string[] {
    if (!Number.isInteger(count) || count < 1)
      throw errors.badRequest('--delete-users needs a positive whole number.');
    return incidentDeleteUsers(this.dir, count, this.now());
  }

  /**
   * Invalidates every delta token issued so far. 'expire' answers 400 syncStateNotFound (Graph's
   * expired token); 'reset' answers 410 Gone with a Location to restart from.
   */
  expireDeltaTokens(mode: 'expire' | 'reset' = 'expire'): void {
    const column = mode === 'reset' ? 'delta_reset_after' : 'delta_valid_after';
    this.db
      .prepare(`UPDATE tenants SET ${column} = ? WHERE tenant_id = ?`)
      .run(this.now().getTime(), this.tenantId);
  }

  /** Moves recycle-bin deletion times back by `days` (tests of the 30-day retention). */
  ageRecycleBin(days: number): number {
    const rows = this.db
      .prepare('SELECT type, id, deleted_at FROM objects WHERE tenant_id = ? AND state = 2')
      .all(this.tenantId) as { type: string; id: string; deleted_at: string }[];
    const stmt = this.db.prepare(
      'UPDATE objects SET deleted_at = ? WHERE tenant_id = ? AND type = ? AND id = ?',
    );
    this.db.transaction(() => {
      for (const r of rows)
        stmt.run(
          new Date(Date.parse(r.deleted_at) - days * 86400_000).toISOString(),
          this.tenantId,
          r.type,
          r.id,
        );
    })();
    return rows.length;
  }

  setPremium(premium: boolean): void {
    this.db.prepare('UPDATE tenants SET premium = ? WHERE tenant_id = ?').run(premium ? 1 : 0, this.tenantId);
  }

  /** Current change sequence of the tenant (grows with every change). */
  sequence(): number {
    return this.dir.currentSeq();
  }

  private findPrincipal(key: string, states = [ACTIVE]): StoredObject {
    for (const t of ['user', 'group', 'servicePrincipal', 'device'] as StoredType[]) {
      try {
        return findObject(this.dir, t, key, states);
      } catch (err) {
        // An ambiguous name is the answer; not found means: try the next type.
        if (err instanceof GraphHttpError && err.code === 'AmbiguousName') throw err;
      }
    }
    throw errors.notFound(key);
  }
}
