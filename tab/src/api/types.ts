// Shapes the tab API answers with (type-only imports from the server keep one definition).

export type { ObjectType } from '../../../src/domain.ts';
export type {
  DashboardSummary,
  DayPoint,
  RunProgress,
  RunSummary,
  TypeStatus,
} from '../../../src/tab-api/dashboard-summary.ts';

import type { ObjectType } from '../../../src/domain.ts';

export interface Me {
  tenantId: string;
  tenantName?: string;
  objectId: string;
  displayName?: string;
  username?: string;
  isAdmin: boolean;
}

export interface ObjectRow {
  objectType: ObjectType;
  objectId: string;
  displayName: string;
  summary: Record<string, unknown>;
  deleted: boolean;
  deletedAt?: string;
  deletionKind?: 'soft' | 'hard';
  lastChangedAt: string;
  firstSeenAt: string;
}

export interface ObjectPage {
  items: ObjectRow[];
  continuation?: string;
}

export interface VersionMeta {
  versionId: string;
  capturedAt: string;
  deleted: boolean;
  deletionKind?: string;
  source: 'backup' | 'pre-restore';
  runId: string;
}

export interface ObjectDetail {
  object: ObjectRow;
  versions: VersionMeta[];
}

export interface RelationRow {
  id: string;
  objectType?: ObjectType;
  displayName: string;
  kind: string;
  since: string;
  attrs?: Record<string, unknown>;
}

export interface VersionDetail {
  version: VersionMeta & { content: Record<string, unknown> | null };
  previous?: { versionId: string; capturedAt: string };
  changes: { property: string; before: unknown; after: unknown }[];
  relations: {
    memberOf: RelationRow[];
    roles: RelationRow[];
    appRoles: RelationRow[];
    ownerOf: RelationRow[];
    members: RelationRow[];
    owners: RelationRow[];
    assignments: RelationRow[];
    manager: RelationRow[];
    directReports: RelationRow[];
    truncated: boolean;
  };
  authMethods?: { capturedAt?: string; methods: Record<string, unknown>[] };
}

export interface RestoreOptions {
  withObject: boolean;
  asNew?: { displayName: string; userPrincipalName?: string };
  blockSignIn: boolean;
  withMemberships: boolean;
  withOwners: boolean;
  withRoleAssignments: boolean;
  withAuthMethods: boolean;
  /** Restore into another tenant the caller administers (the server checks it). */
  targetTenantId?: string;
  /** Source domain → target domain (only with targetTenantId). */
  domainMap?: Record<string, string>;
}

/** GET /api/tab/restores/targets: the caller's tenant and the others they may restore into. */
export type { RestoreTargets, TenantDomains } from '../../../src/tab-api/restore-target-types.ts';

export interface PlanStep {
  stepId: string;
  kind: string;
  target: { objectType: string; objectId: string; displayName: string };
  details: Record<string, unknown>;
  skipReason?: string;
}

export interface Plan {
  planId: string;
  steps: PlanStep[];
  diff: Record<
    string,
    {
      displayName: string;
      liveState: string;
      versionId: string;
      capturedAt: string;
      changes: { property: string; before: unknown; after: unknown; writable: boolean }[];
    }
  >;
  /** The tenant written to (differs from the caller's for a cross-tenant restore). */
  writeTenantId: string;
  request: { options: RestoreOptions };
  missingPermissions: string[];
  warnings: string[];
  /** What the restore will do without a step of its own (e.g. memberships that return with a recycle-bin restore). */
  notes?: string[];
}

export type RestoreStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'cancelled'
  | 'expired'
  | 'running'
  | 'succeeded'
  | 'partial'
  | 'failed';

export interface RestoreView {
  restoreId: string;
  status: RestoreStatus;
  requestedBy: { objectId: string; displayName?: string };
  requestedAt: string;
  expiresAt: string;
  requiredApprovals: number;
  approvals: number;
  decisions: {
    by: { objectId: string; displayName?: string };
    decision: string;
    at: string;
    comment?: string;
  }[];
  objects: { objectType: string; objectId: string; displayName: string }[];
  at?: string;
  undoOf?: string;
  progress: { steps: number; done: number };
  totals?: Record<string, number>;
  skippedCount: number;
  failedCount: number;
  updatedAt: string;
  options?: Record<string, unknown>;
  can: { approve: boolean; reject: boolean; cancel: boolean; undo: boolean };
}

export interface RestoreDetail extends RestoreView {
  plan: Plan;
  stepResults?: Record<string, { status: 'done' | 'skipped' | 'failed'; reason?: string; at: string }>;
  result?: {
    totals: Record<string, number>;
    skipped: {
      stepId: string;
      kind: string;
      target: { displayName: string; objectType: string };
      reason: string;
    }[];
    failed: {
      stepId: string;
      kind: string;
      target: { displayName: string; objectType: string };
      code: string;
      message: string;
    }[];
  };
}

export interface SettingsView {
  tenantId: string;
  displayName?: string;
  scope: Record<ObjectType, boolean>;
  schedule: { incrementalMinutes: number; fullCron: string; paused: boolean };
  retentionDays: number;
  consent: Record<
    'backupApp' | 'restoreApp',
    { state: 'unknown' | 'granted' | 'refused'; at?: string; by?: string; error?: string }
  >;
  alerts: {
    mode: 'failures' | 'every-run' | 'daily-digest';
    reminderMinutes: number;
    channelConversationId?: string;
  };
  approval: { approversNeeded: number; expiryHours: number };
  admins: { groupId?: string; roleTemplateIds: string[] };
  channels: { conversationId: string; conversationType: string; teamId?: string; installedAt: string }[];
  apps: { backupConfigured: boolean; restoreConfigured: boolean };
  updatedAt: string;
  canEdit: boolean;
}

export interface AuditRow {
  seq: number;
  at: string;
  actor: { objectId: string; displayName?: string; kind: string };
  action: string;
  target?: string;
  details?: Record<string, unknown>;
}

export interface ExportJob {
  exportId: string;
  target: { level: string; objectType?: string; objectId?: string };
  status: 'running' | 'ready' | 'failed';
  done: number;
  total: number;
  bytes?: number;
  error?: string;
  startedAt: string;
  finishedAt?: string;
}
