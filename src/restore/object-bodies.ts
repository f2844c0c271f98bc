// Builds what a restore sends for one object: the property diff (live → restore point), the PATCH
// body (writable, differing properties only) and the create body (for a re-created or new object).
import type { GraphObject, ObjectType } from '../domain.ts';
import type { PropertyChange, RestoreOptions } from './restore-types.ts';
import { mapDomains, nicknameFrom, sameValue } from './values.ts';
import {
  CREDENTIAL_PROPERTIES,
  creatableProperties,
  isCreateOnly,
  isWritable,
} from './writable-properties.ts';

const NEVER_COMPARED = new Set<string>([
  'id',
  'deletedDateTime',
  'createdDateTime',
  ...CREDENTIAL_PROPERTIES,
]);

/** The restore point's content as it should be written: domain-mapped, sign-in blocked when asked. */
export function desiredContent(
  type: ObjectType,
  snapshot: GraphObject,
  options: RestoreOptions,
): Record<string, unknown> {
  let body: Record<string, unknown> = { ...snapshot };
  if (options.targetTenantId) body = mapDomains(body, options.domainMap);
  if (type === 'user' && options.blockSignIn) body.accountEnabled = false;
  if (options.asNew) {
    body.displayName = options.asNew.displayName;
    if (type === 'user') {
      body.userPrincipalName = options.asNew.userPrincipalName;
      body.mailNickname = options.asNew.mailNickname ?? nicknameFrom(options.asNew.userPrincipalName ?? '');
      delete body.mail;
      delete body.proxyAddresses;
      delete body.onPremisesImmutableId;
    } else {
      if ('mailNickname' in body || type === 'group') {
        body.mailNickname =
          options.asNew.mailNickname ?? nicknameFrom(options.asNew.displayName.replace(/\s+/g, ''));
      }
      delete body.mail;
      delete body.proxyAddresses;
      if (type === 'application') delete body.identifierUris;
    }
  }
  return body;
}

export interface ObjectDelta {
  changes: PropertyChange[];
  /** Writable differing properties with their restore-point values. */
  patch: Record<string, unknown>;
  /** The live values the patch replaces (the step's conflict check). */
  before: Record<string, unknown>;
}

export function diffProperties(
  type: ObjectType,
  desired: Record<string, unknown>,
  live: Record<string, unknown> | null,
): ObjectDelta {
  const changes: PropertyChange[] = [];
  const patch: Record<string, unknown> = {};
  const before: Record<string, unknown> = {};
  for (const property of Object.keys(desired).sort()) {
    if (NEVER_COMPARED.has(property) || property.startsWith('@') || property.includes('@odata')) continue;
    const after = desired[property] ?? null;
    const was = live ? (live[property] ?? null) : null;
    if (sameValue(was, after)) continue;
    const writable = isWritable(type, property, live ?? undefined) && !isCreateOnly(type, property);
    changes.push({ property, before: was, after, writable });
    if (writable && live) {
      patch[property] = after === null && Array.isArray(was) ? [] : after;
      before[property] = was;
    }
  }
  return { changes, patch, before };
}

/** The POST body re-creating `type` from the restore point (no id, no read-only, no secrets). */
export function createBody(type: ObjectType, desired: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const property of creatableProperties(type)) {
    const value = desired[property];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    body[property] = value;
  }
  if (type === 'user') {
    if (Array.isArray(body.identities)) {
      const kept = (body.identities as Record<string, unknown>[]).filter(
        (i) => i.signInType !== 'userPrincipalName',
      );
      if (kept.length) body.identities = kept;
      else delete body.identities;
    }
    if (body.accountEnabled === undefined) body.accountEnabled = true;
    if (!body.mailNickname)
      body.mailNickname = nicknameFrom(String(body.userPrincipalName ?? body.displayName ?? ''));
  }
  if (type === 'group') {
    body.mailEnabled = body.mailEnabled === true;
    body.securityEnabled = body.securityEnabled === true;
    if (!body.mailNickname)
      body.mailNickname = nicknameFrom(String(body.displayName ?? 'group').replace(/\s+/g, ''));
  }
  if (type === 'conditionalAccessPolicy' && body.state === undefined) body.state = 'disabled';
  return body;
}

/** Secrets and certificates of an application/SP that a re-created object must have re-issued. */
export function credentialsOf(snapshot: GraphObject): Record<string, unknown>[] {
  const list = (key: string, credentialType: 'password' | 'certificate') =>
    (Array.isArray(snapshot[key]) ? (snapshot[key] as Record<string, unknown>[]) : []).map((c) => ({
      credentialType,
      keyId: c.keyId,
      credentialName: c.displayName,
      hint: c.hint,
      endDateTime: c.endDateTime,
    }));
  return [...list('passwordCredentials', 'password'), ...list('keyCredentials', 'certificate')];
}
