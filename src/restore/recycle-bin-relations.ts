// The relationships an object brings back when it is restored from the recycle bin. Entra keeps a
// soft-deleted user's group and AU memberships, roles and app role assignments (and a Microsoft
// 365 group's members and owners) and restores them with the object, so the plan does not add
// them; the preview lists them. What the backup recorded just before the deletion is what comes
// back, except links to an object that is itself gone (or stays deleted). A backup cannot order a
// membership removed and a deletion seen in the same run (Graph's delta reports both alike), so
// those wanted at T are checked once after the restore and only the missing ones added.
import type { ObjectType } from '../domain.ts';
import type { Store } from '../store/store.ts';
import type { ObjectDescriber } from './object-describer.ts';
import { factKey, factsAt, type Perspective, type RelationFact } from './relationships.ts';

/** One relationship that returns with a restored object, as the preview shows it. */
export interface ReturningRelation {
  perspective: Perspective;
  kind: RelationFact['kind'];
  /** The other end: the group/AU/role/resource, or the member/owner for a group's own lists. */
  objectId: string;
  objectType?: ObjectType;
  displayName: string;
}

/** How the plan treats an object named in the same restore. */
export interface PlannedEnd {
  /** Re-created with a new id (links to the old id do not return). */
  creates: boolean;
  /** Null when the restore removes it. */
  desired: Record<string, unknown> | null;
}

/** A relationship the restore expects back with an object: checked after the restore. */
export interface ExpectedRelation extends RelationFact {
  perspective: Perspective;
  /** Name of the other end (for the preview and the step's outcome). */
  otherName: string;
}

export class RecycleBinRelations {
  private readonly byObject = new Map<string, Map<Perspective, RelationFact[]>>();
  private readonly expected = new Map<string, ExpectedRelation[]>();
  private readonly keys = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly tenantId: string,
    private readonly describer: ObjectDescriber,
    private readonly planned: (objectId: string) => PlannedEnd | undefined,
  ) {}

  /**
   * Reads what `objectId` had when it was deleted, for each perspective the restore covers;
   * `desiredOf` gives the relationships at the restore point (those expected back are checked).
   */
  async load(
    objectType: ObjectType,
    objectId: string,
    perspectives: Perspective[],
    desiredOf: (perspective: Perspective) => Promise<RelationFact[]>,
  ): Promise<void> {
    const record = await this.store.getObject(this.tenantId, objectType, objectId);
    const views = new Map<Perspective, RelationFact[]>();
    const expected: ExpectedRelation[] = [];
    this.byObject.set(objectId, views);
    this.expected.set(objectId, expected);
    if (!record?.deletedAt) return;
    const justBefore = new Date(Date.parse(record.deletedAt) - 1).toISOString();
    for (const perspective of perspectives) {
      const facts = await factsAt(this.store, this.tenantId, objectId, perspective, justBefore);
      const desired = new Set((await desiredOf(perspective)).map(factKey));
      const kept: RelationFact[] = [];
      for (const fact of facts) {
        if (!(await this.otherEndStays(fact, objectId))) continue;
        kept.push(fact);
        if (!desired.has(factKey(fact))) continue;
        this.keys.add(factKey(fact));
        const other = await this.otherEnd(fact, objectId);
        expected.push({ ...fact, perspective, otherName: other.displayName });
      }
      views.set(perspective, kept);
    }
  }

  /** The relationships at the restore point expected back with `objectId` (checked after the restore). */
  expectedWith(objectId: string): ExpectedRelation[] {
    return this.expected.get(objectId) ?? [];
  }

  /** Relationships of `objectId` seen from `perspective` that come back with it. */
  of(objectId: string, perspective: Perspective): RelationFact[] {
    return this.byObject.get(objectId)?.get(perspective) ?? [];
  }

  /** True when some object restored from the recycle bin is expected to bring `fact` back (and checks it). */
  returns(fact: RelationFact): boolean {
    return this.keys.has(factKey(fact));
  }

  /** What the preview lists for `objectId`. */
  async describe(objectId: string): Promise<ReturningRelation[]> {
    const out: ReturningRelation[] = [];
    for (const [perspective, facts] of this.byObject.get(objectId) ?? []) {
      for (const fact of facts) {
        const info = await this.otherEnd(fact, objectId);
        out.push({
          perspective,
          kind: fact.kind,
          objectId: info.id,
          ...(info.objectType ? { objectType: info.objectType } : {}),
          displayName: info.displayName,
        });
      }
    }
    return out;
  }

  private otherEnd(fact: RelationFact, selfId: string) {
    return fact.sourceId === selfId
      ? this.describer.describe(fact.targetId, fact.targetType)
      : this.describer.describe(fact.sourceId, fact.sourceType);
  }

  /** A link returns only when its other end exists after the restore under the same id. */
  private async otherEndStays(fact: RelationFact, selfId: string): Promise<boolean> {
    const otherId = fact.sourceId === selfId ? fact.targetId : fact.sourceId;
    const planned = this.planned(otherId);
    if (planned) return !planned.creates && planned.desired !== null;
    return !(await this.otherEnd(fact, selfId)).deleted;
  }
}

/** "member of Sales (group), role User Administrator" for the plan's notes. */
export function describeReturning(list: ReturningRelation[]): string {
  const phrase = (r: ReturningRelation) => {
    switch (r.perspective) {
      case 'memberOf':
        return `member of ${r.displayName}`;
      case 'members':
        return `member ${r.displayName}`;
      case 'owners':
        return `owner ${r.displayName}`;
      case 'principalRoles':
        return `role ${r.displayName}`;
      case 'roleAssignments':
        return `role assigned to ${r.displayName}`;
      case 'principalAppRoles':
        return `app role in ${r.displayName}`;
      case 'appRoleAssignedTo':
        return `app role assigned to ${r.displayName}`;
      case 'manager':
        return `manager ${r.displayName}`;
    }
  };
  return list.map(phrase).join(', ');
}
