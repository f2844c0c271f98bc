// Value helpers for diffs and remapping: Graph returns null, [] or nothing for "unset", and
// nested objects carry nulls for unset fields, so equality is decided on a normalised form.

/** Normalised form: nulls, undefined and empty arrays/objects dropped; keys sorted. */
export function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(normalise).filter((v) => v !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      if (key.startsWith('@odata')) continue;
      const v = normalise((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

/** Deep copy replacing every string found in `map` (ids of re-created objects, appIds). */
export function remapIds<T>(value: T, map: Record<string, string>): T {
  if (Object.keys(map).length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return map[v] ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** Whether a string (or any string inside a value) is one of `ids`. */
export function mentionsAny(value: unknown, ids: Set<string>): boolean {
  if (typeof value === 'string') return ids.has(value);
  if (Array.isArray(value)) return value.some((v) => mentionsAny(v, ids));
  if (value && typeof value === 'object') return Object.values(value).some((v) => mentionsAny(v, ids));
  return false;
}

/** Rewrites `local@source.com` to `local@target.com` for each mapped domain (case-insensitive). */
export function mapDomain(value: string, domainMap: Record<string, string> | undefined): string {
  if (!domainMap) return value;
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const domain = value.slice(at + 1).toLowerCase();
  for (const [from, to] of Object.entries(domainMap)) {
    if (from.toLowerCase() === domain) return `${value.slice(0, at)}@${to}`;
  }
  return value;
}

const MAIL_PROPERTIES = ['userPrincipalName', 'mail', 'otherMails', 'proxyAddresses'];

/** Applies the domain map to UPN and mail properties of a body (proxyAddresses keep their SMTP: prefix). */
export function mapDomains(
  body: Record<string, unknown>,
  domainMap: Record<string, string> | undefined,
): Record<string, unknown> {
  if (!domainMap || Object.keys(domainMap).length === 0) return body;
  const out = { ...body };
  for (const key of MAIL_PROPERTIES) {
    const v = out[key];
    if (typeof v === 'string') out[key] = mapDomain(v, domainMap);
    else if (Array.isArray(v)) out[key] = v.map((x) => (typeof x === 'string' ? mapDomain(x, domainMap) : x));
  }
  return out;
}

/** Local part of a UPN, usable as mailNickname (Graph's allowed characters only). */
export function nicknameFrom(upnOrName: string): string {
  const local = upnOrName.split('@')[0] ?? upnOrName;
  const cleaned = local.replace(/[^A-Za-z0-9'._\-!#^~]/g, '').slice(0, 64);
  return cleaned || 'restored';
}
