// The tab API's view of the rest of the product: the admin check, backups, plans, approvals,
// undo and export, each delegated to the module that owns it (the bot calls the same code).
// Kept in one file so routes stay thin and tests can see exactly what the tab depends on.
import type { AppContext } from '../app-context.ts';
import type { GraphObject, ObjectType, Principal } from '../domain.ts';
import type { RestoreRequest } from '../restore/restore-types.ts';
import type { RestoreRecord, RunRecord } from '../store/store.ts';

export interface ChangedProperty {
  property: string;
  before: unknown;
  after: unknown;
}

export interface ExportProgress {
  done: number;
  total: number;
}

export interface ExportTarget {
  level: 'tenant' | 'type' | 'object';
  objectType?: ObjectType;
  objectId?: string;
}

export interface ProductPorts {
  isAdmin(tenantId: string, userObjectId: string): Promise<boolean>;
  requestBackup(principal: Principal, types?: ObjectType[]): Promise<RunRecord>;
  /** Property-level differences between two versions (null = absent / tombstone). */
  diffVersions(before: GraphObject | null, after: GraphObject | null): ChangedProperty[];
  planRestore(request: RestoreRequest): Promise<Record<string, unknown>>;
  requestRestore(principal: Principal, request: RestoreRequest): Promise<RestoreRecord>;
  decideRestore(
    principal: Principal,
    restoreId: string,
    decision: 'approve' | 'reject' | 'cancel',
    comment?: string,
  ): Promise<RestoreRecord>;
  /** A new restore request that puts back the state a finished restore replaced. */
  requestUndo(principal: Principal, restoreId: string): Promise<RestoreRecord>;
  /** Writes a ZIP of JSON to `file`, reporting progress. */
  exportZip(
    principal: Principal,
    target: ExportTarget,
    file: string,
    onProgress: (progress: ExportProgress) => void,
  ): Promise<void>;
}

export type ProductPortsFactory = (ctx: AppContext) => ProductPorts;
