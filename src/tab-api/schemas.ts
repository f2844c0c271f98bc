// Input schemas of the tab API (zod): every body, query and path parameter is parsed here.
import { z } from 'zod';
import { OBJECT_TYPES } from '../domain.ts';
import { restoreObjectRefSchema, restoreOptionsSchema } from '../restore/restore-types.ts';

export const objectType = z.enum(OBJECT_TYPES);
/** Entra object ids are GUIDs, but sign-ins and policies may use other ids: a safe charset. */
export const objectId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@|/=+-]+$/, 'contains characters an object id never has');
export const restoreId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a restore id');
const isoDate = z.iso.datetime({ offset: true });

export const objectListQuery = z.object({
  type: objectType.optional(),
  search: z.string().max(200).optional(),
  deleted: z.enum(['all', 'live', 'deleted']).optional(),
  sort: z.enum(['name', 'id', 'lastChange']).optional(),
  desc: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  continuation: z.string().max(2000).optional(),
});

export const objectParams = z.object({ type: objectType, id: objectId });
export const versionParams = objectParams.extend({ versionId: z.string().min(1).max(200) });

/** A restore as the tab submits it: the tenant is added from the token, never taken from here. */
export const restoreBody = z
  .object({
    objects: z.array(restoreObjectRefSchema).min(1).max(100),
    /** Point in time (ISO); the version at or before it is restored. Defaults to now. */
    at: isoDate.optional(),
    options: restoreOptionsSchema.optional(),
  })
  .strict();
export type RestoreBody = z.infer<typeof restoreBody>;

export const decisionBody = z
  .object({ decision: z.enum(['approve', 'reject', 'cancel']), comment: z.string().max(1000).optional() })
  .strict();

export const restoreListQuery = z.object({
  status: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const backupBody = z
  .object({ types: z.array(objectType).max(OBJECT_TYPES.length).optional() })
  .strict();

export const auditQuery = z.object({
  actor: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  continuation: z.string().max(2000).optional(),
});

export const settingsPatch = z
  .object({
    displayName: z.string().trim().max(256).optional(),
    scope: z.partialRecord(objectType, z.boolean()).optional(),
    schedule: z
      .object({
        incrementalMinutes: z.number().int().min(5).max(1440).optional(),
        fullCron: z
          .string()
          .trim()
          .max(100)
          .regex(/^[\d*/,\- ]+$/, 'is not a cron expression')
          .optional(),
        paused: z.boolean().optional(),
      })
      .strict()
      .optional(),
    retentionDays: z.number().int().min(7).max(3650).optional(),
    alerts: z
      .object({
        mode: z.enum(['failures', 'every-run', 'daily-digest']).optional(),
        reminderMinutes: z.number().int().min(15).max(10080).optional(),
        channelConversationId: z.string().max(500).nullable().optional(),
      })
      .strict()
      .optional(),
    approval: z
      .object({
        approversNeeded: z.number().int().min(1).max(5).optional(),
        expiryHours: z.number().int().min(1).max(720).optional(),
      })
      .strict()
      .optional(),
    admins: z
      .object({
        groupId: z.uuid().nullable().optional(),
        roleTemplateIds: z.array(z.uuid()).max(50).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof settingsPatch>;

export const consentStartBody = z.object({ app: z.enum(['backup', 'restore']) }).strict();

export const exportBody = z
  .object({
    level: z.enum(['tenant', 'type', 'object']),
    objectType: objectType.optional(),
    objectId: objectId.optional(),
  })
  .strict()
  .refine((b) => b.level === 'tenant' || b.objectType, {
    message: 'objectType is required for type and object level',
  })
  .refine((b) => b.level !== 'object' || b.objectId, { message: 'objectId is required for object level' });
export type ExportBody = z.infer<typeof exportBody>;
