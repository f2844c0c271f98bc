// $select and Graph's default property sets: which properties an answer carries, and the
// @odata.context that reflects the selection.

import type { Json } from './directory.ts';
import { errors } from './graph-errors.ts';
import { hasPermission, type ResourceDef, typeName } from './resources.ts';

const NAVIGATION = new Set([
  'members',
  'owners',
  'registeredOwners',
  'manager',
  'principal',
  'roleDefinition',
]);

export interface Selection {
  props: string[];
  explicit: boolean;
}

/** Validates $select against the resource and returns the properties to answer. */
export function selection(
  def: ResourceDef,
  select: string[] | undefined,
  single: boolean,
  opts: { roles: readonly string[]; premium: boolean; allowNavigation?: boolean },
): Selection {
  if (!select) {
    const base = def.defaultSelect ?? def.properties.filter((p) => !NAVIGATION.has(p));
    const props = base.filter((p) => single || !def.singleOnly?.includes(p));
    return { props: [...props], explicit: false };
  }
  const props: string[] = [];
  for (const raw of select) {
    const p = raw.includes('.') ? raw : raw;
    if (p === '*') {
      props.push(
        ...def.properties.filter((x) => !NAVIGATION.has(x) && (single || !def.singleOnly?.includes(x))),
      );
      continue;
    }
    if (def.singleOnly?.includes(p)) {
      if (!single && def.singleOnlyIs501) throw errors.notImplemented();
      if (!single) continue;
    } else if (!def.properties.includes(p)) throw errors.unknownProperty(p, typeName(def));
    if (NAVIGATION.has(p) && !opts.allowNavigation) continue;
    if (p === 'signInActivity') {
      if (!opts.premium) throw errors.nonPremium();
      if (!hasPermission(opts.roles, [['AuditLog.Read.All']])) throw errors.denied();
    }
    if (!props.includes(p)) props.push(p);
  }
  if (!props.includes('id')) props.unshift('id');
  return { props, explicit: true };
}

export function project(data: Json, props: readonly string[]): Json {
  const out: Json = {};
  for (const p of props) {
    if (p === 'passwordProfile') out[p] = null;
    else out[p] = p in data ? data[p] : null;
  }
  return out;
}

export function contextUrl(
  base: string,
  setPath: string,
  sel: Selection | undefined,
  entity = false,
): string {
  const selectPart = sel?.explicit ? `(${sel.props.join(',')})` : '';
  return `${base}/$metadata#${setPath}${selectPart}${entity ? '/$entity' : ''}`;
}
