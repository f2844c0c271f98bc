// Property-level difference between two versions of an object: what the history, the tab and
// the restore preview show. Objects compare key by key (dotted paths); arrays compare whole.
import { stableStringify } from './canonical.ts';

export interface PropertyChange {
  /** Dotted path, e.g. 'department' or 'onPremisesExtensionAttributes.extensionAttribute1'. */
  path: string;
  before: unknown;
  after: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Changes from `a` to `b` (either may be null/undefined: creation or deletion), sorted by path. */
export function diffObjects(a: unknown, b: unknown, prefix = ''): PropertyChange[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: PropertyChange[] = [];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) out.push(...diffObjects(a[key], b[key], prefix ? `${prefix}.${key}` : key));
    return out;
  }
  if (!prefix && (a == null || b == null)) {
    // Whole object created or deleted: list each top-level property.
    const side = (a ?? b) as Record<string, unknown> | null | undefined;
    if (!isPlainObject(side)) return [];
    return Object.keys(side)
      .sort()
      .map((key) => ({
        path: key,
        before: a == null ? undefined : side[key],
        after: b == null ? undefined : side[key],
      }));
  }
  const same = a === b || (a !== undefined && b !== undefined && stableStringify(a) === stableStringify(b));
  return same ? [] : [{ path: prefix, before: a, after: b }];
}
