// The restore vocabulary: what a restore asks for (request), what it will do (plan = the preview,
// approved and executed as is) and what it did (result). Stored inside RestoreRecord as JSON.
import { z } from 'zod';
import { OBJECT_TYPES, type ObjectType } from '../domain.ts';

// ---------------------------------------------------------------- request

const asNewSchema = z
  .object({
    displayName: z.string().trim().min(1, 'asNew.displayName is required').max(256),
    userPrincipalName: z.string().trim().min(3).max(113).optional(),
    mailNickname: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

/** A domain map names a tenant's domains: a few, never thousands (each is applied to every body). */
export const MAX_MAPPED_DOMAINS = 100;

export const restoreOptionsSchema = z
  .object({
    /** Restore the object itself (properties; create or recycle-bin restore when gone). */
    withObject: z.boolean().default(true),
    /** Create a second object (new id) with a new name/UPN; single object only. */
    asNew: asNewSchema.optional(),
    /** Restored or created users end with accountEnabled=false. */
    blockSignIn: z.boolean().default(false),
    withMemberships: z.boolean().default(true),
    withOwners: z.boolean().default(true),
    withRoleAssignments: z.boolean().default(true),
    /** Report which authentication methods were registered (secrets are never restored). */
    withAuthMethods: z.boolean().default(false),
    /** Write into another tenant the product manages (ids are remapped, domains mapped). */
    targetTenantId: z.string().trim().min(1).optional(),
    /** Source domain → target domain, applied to UPNs and mail addresses (case-insensitive). */
    domainMap: z
      .record(z.string().min(1).max(253), z.string().min(1).max(253))
      .refine((m) => Object.keys(m).length <= MAX_MAPPED_DOMAINS, {
        message: `at most ${MAX_MAPPED_DOMAINS} domains can be mapped`,
      })
      .optional(),
  })
  .strict();

export const restoreObjectRefSchema = z
  .object({
    objectType: z.enum(OBJECT_TYPES),
    objectId: z.string().trim().min(1).max(200),
    /** Restore exactly this version (e.g. a pre-restore version for undo) instead of the one at `at`. */
    versionId: z.string().trim().min(1).optional(),
  })
  .strict();

export const restoreRequestSchema = z
  .object({
    tenantId: z.string().trim().min(1),
    objects: z.array(restoreObjectRefSchema).min(1, 'at least one object is required').max(5000),
    /** ISO time (the newest version captured at or before it), or a versionId for a single object. */
    at: z.string().trim().min(1),
    options: restoreOptionsSchema.default(() => restoreOptionsSchema.parse({})),
    /** Set by undo: the restore this request reverses. */
    undoOf: z.string().optional(),
  })
  .strict()
  .superRefine((req, ctx) => {
    if (req.options.asNew && req.objects.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'asNew'],
        message: 'as new restores exactly one object',
      });
    }
    if (
      req.options.asNew &&
      !['user', 'group', 'application', 'administrativeUnit'].includes(req.objects[0]?.objectType ?? '')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'asNew'],
        message: 'as new is available for users, groups, applications and administrative units',
      });
    }
    if (req.options.asNew && req.objects[0]?.objectType === 'user' && !req.options.asNew.userPrincipalName) {
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'asNew', 'userPrincipalName'],
        message: 'a new user needs a new UPN',
      });
    }
  });

export type RestoreOptions = z.infer<typeof restoreOptionsSchema>;
export type RestoreObjectRef = z.infer<typeof restoreObjectRefSchema>;
export type RestoreRequest = z.infer<typeof restoreRequestSchema>;
/** What callers may pass: options with defaults left out. */
export type RestoreRequestInput = z.input<typeof restoreRequestSchema>;

export class RestoreInputError extends Error {
  override readonly name = 'RestoreInputError';
  readonly code = 'INVALID_RESTORE_REQUEST';
}

/** Validates untrusted input (card data, tab body, CLI flags); the error names each rejected field. */
export function parseRestoreRequest(input: unknown): RestoreRequest {
  const parsed = restoreRequestSchema.safeParse(input);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
    throw new RestoreInputError(`Invalid restore request: ${why}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------- plan

export const STEP_KINDS = [
  'restoreFromRecycleBin',
  /**
   * After recycle-bin restores: reads back the relationships the object is expected to bring with
   * it (details.relationships) and adds only those that did not return.
   */
  'verifyReturned',
  'create',
  'patch',
  'addMember',
  'removeMember',
  'addOwner',
  'removeOwner',
  'addRoleAssignment',
  'removeRoleAssignment',
  'addAppRoleAssignment',
  'removeAppRoleAssignment',
  'addAuMember',
  /** PUT /users/{id}/manager/$ref (replaces the live manager). */
  'setManager',
  /** DELETE /users/{id}/manager/$ref (undo of a restore that set a manager where there was none). */
  'removeManager',
  'delete',
  'reportOnly',
  'skip',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface StepTarget {
  objectType: ObjectType;
  /** The id written to; for a 'create' step the source id (the new id is in result.createdIds). */
  objectId: string;
  displayName: string;
}

export interface RestoreStep {
  stepId: string;
  kind: StepKind;
  /** The object this step writes to (the group for a membership, the role for an assignment). */
  target: StepTarget;
  /** Kind-specific: body, changes, memberId, principalId, … (ids of created objects are remapped at run time). */
  details: Record<string, unknown>;
  /** The live state the preview saw that makes the step valid; a differing live state is a conflict. */
  expected: Record<string, unknown>;
  /** Application permission the step needs (one of them). */
  permissions?: string[];
  /** For 'skip' and 'reportOnly': why nothing is written. */
  skipReason?: string;
}

export interface PropertyChange {
  property: string;
  /** Live value (null when absent or deleted). */
  before: unknown;
  /** Value at the restore point. */
  after: unknown;
  /** False for read-only / server-managed properties: shown, never written. */
  writable: boolean;
}

export interface ObjectDiff {
  objectType: ObjectType;
  displayName: string;
  /** What the planner found live. */
  liveState: 'live' | 'softDeleted' | 'absent';
  /** The version restored. */
  versionId: string;
  capturedAt: string;
  changes: PropertyChange[];
}

export interface RestorePlan {
  planId: string;
  createdAt: string;
  request: RestoreRequest;
  /** The tenant written to (the request's tenant, or options.targetTenantId). */
  writeTenantId: string;
  steps: RestoreStep[];
  /** Keyed by source object id. */
  diff: Record<string, ObjectDiff>;
  /** Write permissions the restore app lacks for the steps (named before anyone approves). */
  missingPermissions: string[];
  warnings: string[];
  /**
   * Plain statements for approvers that are not warnings, e.g. which relationships an object
   * brings back from the recycle bin (also in that step's `details.returnsWithObject`).
   */
  notes?: string[];
}

// ---------------------------------------------------------------- result

export type StepStatus = 'done' | 'skipped' | 'failed';

export interface CredentialToReissue {
  objectType: 'application' | 'servicePrincipal';
  /** Source object id and the id of the restored object. */
  sourceId: string;
  objectId: string;
  displayName: string;
  credentialType: 'password' | 'certificate';
  keyId?: string;
  credentialName?: string;
  hint?: string;
  endDateTime?: string;
}

export interface RestoreResult {
  /** Per step kind: how many ended done, skipped, failed. */
  counts: Partial<Record<StepKind, Record<StepStatus, number>>>;
  totals: Record<StepStatus | 'pending', number>;
  skipped: { stepId: string; kind: StepKind; target: StepTarget; reason: string }[];
  failed: { stepId: string; kind: StepKind; target: StepTarget; code: string; message: string }[];
  credentialsToReissue: CredentialToReissue[];
  /** Source id (object id or appId) → id of the object created for it. */
  createdIds: Record<string, string>;
  /** Id of each object the restore wrote to → its pre-restore version (undo restores it). */
  preRestoreVersionIds: Record<string, { objectType: ObjectType; versionId: string }>;
  /** Steps whose create was sent (recorded before the POST so a resume can adopt the object). */
  createsStarted: string[];
  finishedAt?: string;
}

export function emptyResult(): RestoreResult {
  return {
    counts: {},
    totals: { done: 0, skipped: 0, failed: 0, pending: 0 },
    skipped: [],
    failed: [],
    credentialsToReissue: [],
    createdIds: {},
    preRestoreVersionIds: {},
    createsStarted: [],
  };
}
