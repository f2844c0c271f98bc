// Canonical form of a Graph object: what a version stores and what its sha256 is taken over.
// Sorted keys, OData annotations and volatile fields dropped, nulls dropped (Graph sends a
// property as null or omits it depending on $select and delta round: both mean "unset").
import { createHash } from 'node:crypto';
import type { GraphObject, ObjectType } from '../domain.ts';

/** Fields that change without anyone changing the object: never part of a version's identity. */
const VOLATILE_FIELDS: Partial<Record<ObjectType, readonly string[]>> = {
  user: [
    'signInActivity',
    'lastPasswordChangeDateTime',
    'refreshTokensValidFromDateTime',
    'signInSessionsValidFromDateTime',
    'onPremisesLastSyncDateTime',
    'externalUserStateChangeDateTime',
  ],
  group: [
    'renewedDateTime',
    'onPremisesLastSyncDateTime',
    'expirationDateTime',
    'membershipRuleProcessingStatus',
  ],
  device: ['approximateLastSignInDateTime', 'onPremisesLastSyncDateTime', 'complianceExpirationDateTime'],
  servicePrincipal: ['signInActivity'],
  application: ['signInActivity'],
};

/** Secret-bearing fields: never stored, whatever the object type. */
const SECRET_FIELDS = new Set([
  'password',
  'secretText',
  'secretKey',
  'clientSecret',
  'passwordProfile',
  'temporaryAccessPass',
]);

function isAnnotation(key: string): boolean {
  return key.startsWith('@') || key.includes('@odata.') || key.endsWith('@delta') || key.endsWith('@removed');
}

function clean(value: unknown, topLevelDrop: ReadonlySet<string> | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => clean(item, undefined));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (isAnnotation(key) || SECRET_FIELDS.has(key) || topLevelDrop?.has(key)) continue;
      const v = (value as Record<string, unknown>)[key];
      if (v === null || v === undefined) continue;
      out[key] = clean(v, undefined);
    }
    return out;
  }
  return value;
}

const dropSets = new Map<ObjectType, ReadonlySet<string>>();
function dropSetFor(type: ObjectType): ReadonlySet<string> {
  let set = dropSets.get(type);
  if (!set) {
    set = new Set(VOLATILE_FIELDS[type] ?? []);
    dropSets.set(type, set);
  }
  return set;
}

/** Canonical content of an object of `type` (keys sorted at every level). */
export function canonicalize(type: ObjectType, raw: Record<string, unknown>): GraphObject {
  const out = clean(raw, dropSetFor(type)) as Record<string, unknown>;
  if (typeof out.id !== 'string') throw new Error(`canonicalize: ${type} object without a string id`);
  return out as GraphObject;
}

/** JSON with keys in sorted order (content from canonicalize already is; this makes it certain). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(clean(value, undefined));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The sha256 that decides whether a version is written. */
export function contentHash(content: GraphObject): string {
  return sha256(JSON.stringify(content));
}

export const TOMBSTONE_HASH = 'tombstone';
