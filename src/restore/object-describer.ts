// What the backup knows about an object a step refers to (a group, a role, a member): name, type,
// group kind, whether it is deleted. Cached per plan: one store read per referenced object.
import type { GraphObject, ObjectType } from '../domain.ts';
import type { Store } from '../store/store.ts';

export interface ObjectInfo {
  id: string;
  objectType?: ObjectType;
  displayName: string;
  deleted: boolean;
  deletionKind?: 'soft' | 'hard';
  deletedAt?: string;
  content?: GraphObject;
}

export type GroupKind = 'microsoft365' | 'security' | 'mailEnabledSecurity' | 'distribution' | 'dynamic';

/** Graph writes only Microsoft 365 and security groups; membership of dynamic groups follows their rule. */
export function groupKind(group: Record<string, unknown>): GroupKind {
  const types = Array.isArray(group.groupTypes) ? (group.groupTypes as unknown[]) : [];
  if (types.includes('DynamicMembership')) return 'dynamic';
  if (types.includes('Unified')) return 'microsoft365';
  if (group.mailEnabled === true)
    return group.securityEnabled === true ? 'mailEnabledSecurity' : 'distribution';
  return 'security';
}

export const NOT_WRITABLE_GROUP_REASON: Partial<Record<GroupKind, string>> = {
  mailEnabledSecurity:
    'mail-enabled security groups are read-only in Microsoft Graph (manage them in Exchange Online)',
  distribution: 'distribution lists are read-only in Microsoft Graph (manage them in Exchange Online)',
};

export class ObjectDescriber {
  private readonly cache = new Map<string, Promise<ObjectInfo>>();
  constructor(
    private readonly store: Store,
    private readonly tenantId: string,
    private readonly at: string,
  ) {}

  describe(id: string, typeHint?: ObjectType): Promise<ObjectInfo> {
    let hit = this.cache.get(id);
    if (!hit) {
      hit = this.load(id, typeHint);
      this.cache.set(id, hit);
    }
    return hit;
  }

  private async load(id: string, typeHint?: ObjectType): Promise<ObjectInfo> {
    const versions = await this.store.listVersions(this.tenantId, id, 5);
    const newest = versions.find((v) => v.capturedAt <= this.at) ?? versions[0];
    const lastContent = versions.find((v) => v.content && !v.deleted)?.content ?? undefined;
    const record = newest ? await this.store.getObject(this.tenantId, newest.objectType, id) : undefined;
    const name = lastContent?.displayName;
    return {
      id,
      objectType: newest?.objectType ?? typeHint,
      displayName: typeof name === 'string' && name ? name : (record?.displayName ?? id),
      deleted: record?.deleted ?? newest?.deleted ?? false,
      deletionKind: record?.deletionKind ?? newest?.deletionKind,
      deletedAt: record?.deletedAt,
      content: lastContent,
    };
  }
}
