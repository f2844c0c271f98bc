// Data access for one tenant of the dev tenant. Every write takes the tenant's next change
// sequence number (objects.seq, links.seq); a membership change also moves its source's seq so
// delta rounds find the group. Callers wrap multi-step changes in `transaction`.
import type { Db } from './dev-db.ts';
import type { LinkKind, StoredType } from './resources.ts';

export type Json = Record<string, unknown>;

/** 1 active, 2 soft-deleted (recycle bin), 0 purged (tombstone kept for delta). */
export const ACTIVE = 1;
export const SOFT_DELETED = 2;
export const PURGED = 0;

/** Link states: 1 active, 0 removed, 2 suspended because the target is in the recycle bin. */
export const LINK_ACTIVE = 1;
export const LINK_REMOVED = 0;
export const LINK_SUSPENDED = 2;

export interface StoredObject {
  type: StoredType;
  id: string;
  seq: number;
  state: number;
  deletedAt: string | null;
  parentId: string | null;
  data: Json;
  /**
   * Change sequence per property (and per tracked relationship, by its name) since the object was
   * created, restored or deleted; that event's sequence is under '*'. Absent: nothing changed
   * since the row was written (seq is then the '*' sequence).
   */
  propSeqs?: Record<string, number>;
}

/** Sequence of the last change of `prop` (a property or relationship name) of `obj`. */
export function changeSeqOf(obj: StoredObject, prop: string): number {
  const m = obj.propSeqs;
  if (!m) return obj.seq;
  return Math.max(m['*'] ?? 0, m[prop] ?? 0);
}

export interface TenantRow {
  tenantId: string;
  domain: string;
  displayName: string;
  seed: string;
  premium: boolean;
  seq: number;
  createdAt: string;
  deltaValidAfter: number;
  deltaResetAfter: number;
  faults: string;
}

export interface LinkRow {
  kind: LinkKind;
  sourceId: string;
  targetId: string;
  targetType: StoredType;
  state: number;
  seq: number;
}

interface ObjectRowRaw {
  type: string;
  id: string;
  seq: number;
  state: number;
  deleted_at: string | null;
  parent_id: string | null;
  data: string;
  prop_seqs?: string | null;
}

interface LinkRowRaw {
  kind: string;
  source_id: string;
  target_id: string;
  target_type: string;
  state: number;
  seq: number;
}

export function toObject(row: ObjectRowRaw): StoredObject {
  return {
    type: row.type as StoredType,
    id: row.id,
    seq: row.seq,
    state: row.state,
    deletedAt: row.deleted_at,
    parentId: row.parent_id,
    data: JSON.parse(row.data) as Json,
    ...(row.prop_seqs ? { propSeqs: JSON.parse(row.prop_seqs) as Record<string, number> } : {}),
  };
}

/** JSON path of a key in prop_seqs (property and relationship names are plain identifiers). */
const seqPath = (key: string) => `$."${key}"`;

/** Top-level keys whose values differ between two versions of an object's data. */
function changedKeys(before: Json, after: Json): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

export function toLink(row: LinkRowRaw): LinkRow {
  return {
    kind: row.kind as LinkKind,
    sourceId: row.source_id,
    targetId: row.target_id,
    targetType: row.target_type as StoredType,
    state: row.state,
    seq: row.seq,
  };
}

/** Columns derived from an object's data, kept for indexed lookups. */
export function derivedColumns(
  type: StoredType,
  data: Json,
): { ukey: string | null; name: string | null; sortTime: string | null; parentId: string | null } {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  let ukey: string | null = null;
  let parentId: string | null = null;
  let sortTime: string | null = null;
  if (type === 'user') ukey = str(data.userPrincipalName)?.toLowerCase() ?? null;
  else if (type === 'group') ukey = str(data.mailNickname)?.toLowerCase() ?? null;
  else if (type === 'application' || type === 'servicePrincipal') ukey = str(data.appId);
  else if (type === 'directoryRole') ukey = str(data.roleTemplateId);
  else if (type === 'device') ukey = str(data.deviceId);
  if (type === 'appRoleAssignment') parentId = str(data.resourceId);
  if (type === 'roleAssignment') parentId = str(data.principalId);
  if (type === 'signIn') sortTime = str(data.createdDateTime);
  if (type === 'directoryAudit') sortTime = str(data.activityDateTime);
  return { ukey, name: str(data.displayName), sortTime, parentId };
}

export class TenantDirectory {
  constructor(
    readonly db: Db,
    readonly tenantId: string,
  ) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  tenant(): TenantRow {
    const row = this.db.prepare('SELECT * FROM tenants WHERE tenant_id = ?').get(this.tenantId) as
      | Record<string, unknown>
      | undefined;
    if (!row) throw new Error(`dev tenant ${this.tenantId} does not exist`);
    return {
      tenantId: String(row.tenant_id),
      domain: String(row.domain),
      displayName: String(row.display_name),
      seed: String(row.seed),
      premium: row.premium === 1,
      seq: Number(row.seq),
      createdAt: String(row.created_at),
      deltaValidAfter: Number(row.delta_valid_after),
      deltaResetAfter: Number(row.delta_reset_after),
      faults: String(row.faults),
    };
  }

  currentSeq(): number {
    const row = this.db.prepare('SELECT seq FROM tenants WHERE tenant_id = ?').get(this.tenantId) as
      | { seq: number }
      | undefined;
    return row?.seq ?? 0;
  }

  /** Reserves `count` sequence numbers; returns the first. Call inside a transaction. */
  nextSeq(count = 1): number {
    const row = this.db
      .prepare('UPDATE tenants SET seq = seq + ? WHERE tenant_id = ? RETURNING seq')
      .get(count, this.tenantId) as { seq: number };
    return row.seq - count + 1;
  }

  get(type: StoredType, id: string): StoredObject | undefined {
    const row = this.db
      .prepare('SELECT * FROM objects WHERE tenant_id = ? AND type = ? AND id = ?')
      .get(this.tenantId, type, id) as ObjectRowRaw | undefined;
    return row ? toObject(row) : undefined;
  }

  /** Any object by id whatever its type (directoryObjects/{id}, member references). */
  getById(id: string): StoredObject | undefined {
    const row = this.db
      .prepare('SELECT * FROM objects WHERE tenant_id = ? AND id = ? ORDER BY state DESC LIMIT 1')
      .get(this.tenantId, id) as ObjectRowRaw | undefined;
    return row ? toObject(row) : undefined;
  }

  findActiveByKey(type: StoredType, key: string): StoredObject | undefined {
    const row = this.db
      .prepare('SELECT * FROM objects WHERE tenant_id = ? AND type = ? AND ukey = ? AND state = 1 LIMIT 1')
      .get(this.tenantId, type, key) as ObjectRowRaw | undefined;
    return row ? toObject(row) : undefined;
  }

  findActiveByName(type: StoredType, name: string): StoredObject | undefined {
    const row = this.db
      .prepare('SELECT * FROM objects WHERE tenant_id = ? AND type = ? AND name = ? AND state = 1 LIMIT 1')
      .get(this.tenantId, type, name) as ObjectRowRaw | undefined;
    return row ? toObject(row) : undefined;
  }

  countActive(type: StoredType): number {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM objects WHERE tenant_id = ? AND type = ? AND state = 1')
      .get(this.tenantId, type) as { n: number };
    return row.n;
  }

  insert(type: StoredType, data: Json): StoredObject {
    const seq = this.nextSeq();
    const c = derivedColumns(type, data);
    this.db
      .prepare(
        `INSERT INTO objects (tenant_id, type, id, seq, state, deleted_at, parent_id, ukey, name, sort_time, data)
         VALUES (?, ?, ?, ?, 1, NULL, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, type, id) DO UPDATE SET seq = excluded.seq, state = 1, deleted_at = NULL,
           parent_id = excluded.parent_id, ukey = excluded.ukey, name = excluded.name,
           sort_time = excluded.sort_time, data = excluded.data, prop_seqs = NULL`,
      )
      .run(
        this.tenantId,
        type,
        String(data.id),
        seq,
        c.parentId,
        c.ukey,
        c.name,
        c.sortTime,
        JSON.stringify(data),
      );
    return { type, id: String(data.id), seq, state: ACTIVE, deletedAt: null, parentId: c.parentId, data };
  }

  /** Replaces the object's data (keeps its state); takes a new seq, recorded on the changed properties. */
  update(obj: StoredObject, data: Json): StoredObject {
    const seq = this.nextSeq();
    const c = derivedColumns(obj.type, data);
    const changed = changedKeys(obj.data, data);
    // json_set(COALESCE(prop_seqs, {'*': old seq}), '$."p"', seq, …): the old seq (right-hand
    // side of SET) stands for "written then" when the row has no map yet.
    const setArgs = changed.flatMap((k) => [seqPath(k), seq]);
    const propSeqs = changed.length
      ? `json_set(COALESCE(prop_seqs, json_object('*', seq)), ${changed.map(() => '?, ?').join(', ')})`
      : `COALESCE(prop_seqs, json_object('*', seq))`;
    const row = this.db
      .prepare(
        `UPDATE objects SET seq = ?, parent_id = ?, ukey = ?, name = ?, sort_time = ?, data = ?, prop_seqs = ${propSeqs}
         WHERE tenant_id = ? AND type = ? AND id = ? RETURNING prop_seqs`,
      )
      .get(
        seq,
        c.parentId,
        c.ukey,
        c.name,
        c.sortTime,
        JSON.stringify(data),
        ...setArgs,
        this.tenantId,
        obj.type,
        obj.id,
      ) as { prop_seqs: string } | undefined;
    const propSeqsOut = row ? (JSON.parse(row.prop_seqs) as Record<string, number>) : obj.propSeqs;
    return { ...obj, seq, data, ...(propSeqsOut ? { propSeqs: propSeqsOut } : {}) };
  }

  /**
   * Moves the object's seq so the next delta round reports it; `relationship` (members, owners,
   * manager, …) records which relationship changed, for select-scoped rounds.
   */
  touch(id: string, relationship?: string): void {
    const seq = this.nextSeq();
    if (!relationship) {
      this.db
        .prepare('UPDATE objects SET seq = ? WHERE tenant_id = ? AND id = ? AND state = 1')
        .run(seq, this.tenantId, id);
      return;
    }
    this.db
      .prepare(
        `UPDATE objects SET seq = ?, prop_seqs = json_set(COALESCE(prop_seqs, json_object('*', seq)), ?, ?)
         WHERE tenant_id = ? AND id = ? AND state = 1`,
      )
      .run(seq, seqPath(relationship), seq, this.tenantId, id);
  }

  setState(obj: StoredObject, state: number, deletedAt: string | null, data: Json): StoredObject {
    const seq = this.nextSeq();
    this.db
      .prepare(
        `UPDATE objects SET seq = ?, state = ?, deleted_at = ?, data = ?, prop_seqs = json_object('*', ?)
         WHERE tenant_id = ? AND type = ? AND id = ?`,
      )
      .run(seq, state, deletedAt, JSON.stringify(data), seq, this.tenantId, obj.type, obj.id);
    // Created, deleted or restored: every property counts as changed.
    return { ...obj, seq, state, deletedAt, data, propSeqs: { '*': seq } };
  }

  getLink(kind: LinkKind, sourceId: string, targetId: string): LinkRow | undefined {
    const row = this.db
      .prepare('SELECT * FROM links WHERE tenant_id = ? AND kind = ? AND source_id = ? AND target_id = ?')
      .get(this.tenantId, kind, sourceId, targetId) as LinkRowRaw | undefined;
    return row ? toLink(row) : undefined;
  }

  /** Sets a link's state (insert or update) and moves the source's seq. */
  putLink(kind: LinkKind, sourceId: string, targetId: string, targetType: StoredType, state: number): void {
    const seq = this.nextSeq();
    this.db
      .prepare(
        `INSERT INTO links (tenant_id, kind, source_id, target_id, target_type, state, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, kind, source_id, target_id) DO UPDATE SET state = excluded.state, seq = excluded.seq`,
      )
      .run(this.tenantId, kind, sourceId, targetId, targetType, state, seq);
    this.touch(sourceId, kind);
  }

  /** Active links of a source, keyset-paged by target id. */
  listLinks(kind: LinkKind, sourceId: string, afterTargetId: string, limit: number): LinkRow[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM links WHERE tenant_id = ? AND kind = ? AND source_id = ? AND target_id > ? AND state = 1
           ORDER BY target_id LIMIT ?`,
        )
        .all(this.tenantId, kind, sourceId, afterTargetId, limit) as LinkRowRaw[]
    ).map(toLink);
  }

  countLinks(kind: LinkKind, sourceId: string): number {
    const row = this.db
      .prepare(
        'SELECT COUNT(*) AS n FROM links WHERE tenant_id = ? AND kind = ? AND source_id = ? AND state = 1',
      )
      .get(this.tenantId, kind, sourceId) as { n: number };
    return row.n;
  }

  /** Every link pointing at `targetId` (any kind, any state). */
  linksTo(targetId: string): LinkRow[] {
    // Without statistics SQLite picks the primary key's tenant prefix: every link of the tenant.
    return (
      this.db
        .prepare('SELECT * FROM links INDEXED BY links_target WHERE tenant_id = ? AND target_id = ?')
        .all(this.tenantId, targetId) as LinkRowRaw[]
    ).map(toLink);
  }

  linksFrom(sourceId: string): LinkRow[] {
    return (
      this.db
        .prepare('SELECT * FROM links WHERE tenant_id = ? AND source_id = ? AND state != 0')
        .all(this.tenantId, sourceId) as LinkRowRaw[]
    ).map(toLink);
  }

  listByParent(type: StoredType, parentId: string): StoredObject[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM objects WHERE tenant_id = ? AND type = ? AND parent_id = ? AND state = 1 ORDER BY id',
        )
        .all(this.tenantId, type, parentId) as ObjectRowRaw[]
    ).map(toObject);
  }
}

export function listTenantIds(db: Db): { tenantId: string; domain: string }[] {
  return (
    db.prepare('SELECT tenant_id, domain FROM tenants ORDER BY rowid').all() as {
      tenant_id: string;
      domain: string;
    }[]
  ).map((r) => ({ tenantId: r.tenant_id, domain: r.domain }));
}
