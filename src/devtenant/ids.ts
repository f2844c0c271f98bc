// Deterministic ids and randomness for the dev tenant: the same seed gives the same tenant,
// and ids look like Graph's (GUIDs for directory objects, base64url ids for role and app-role
// assignments) so clients never assume one format.
import { createHash } from 'node:crypto';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID_RE.test(value);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Version-4 GUID text of 16 bytes (a lookup table, no Buffer: the seeder makes ~500k of them). */
function formatGuid(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    let v = bytes[i];
    if (i === 6) v = (v & 0x0f) | 0x40;
    else if (i === 8) v = (v & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[v];
  }
  return out;
}

/** A GUID derived from a string (stable across runs and machines). */
export function guidFromString(value: string): string {
  return formatGuid(createHash('sha256').update(value).digest().subarray(0, 16));
}

function guidBytes(guid: string): Buffer {
  return Buffer.from(guid.replace(/-/g, ''), 'hex');
}

/** Graph's unifiedRoleAssignment ids are base64url of (role, principal) plus a suffix, never GUIDs. */
export function roleAssignmentId(roleDefinitionId: string, principalId: string, scope: string): string {
  const base =
    isGuid(roleDefinitionId) && isGuid(principalId)
      ? Buffer.concat([guidBytes(roleDefinitionId), guidBytes(principalId)])
      : createHash('sha256').update(`${roleDefinitionId}|${principalId}`).digest();
  const suffix = scope === '/' ? '1' : createHash('sha256').update(scope).digest('hex').slice(0, 6);
  return `${base.toString('base64url')}-${suffix}`;
}

/** appRoleAssignment ids: 43 base64url characters, as Graph shows. */
export function appRoleAssignmentId(principalId: string, resourceId: string, appRoleId: string): string {
  return createHash('sha256')
    .update(`${principalId}|${resourceId}|${appRoleId}`)
    .digest()
    .subarray(0, 32)
    .toString('base64url')
    .slice(0, 43);
}

/** Small, fast, seedable PRNG (mulberry32 over a string hash). */
export class Rng {
  private state: number;
  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.state = h.readUInt32LE(0) || 1;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  guid(): string {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i += 4) {
      const v = (this.next() * 4294967296) >>> 0;
      bytes[i] = v & 0xff;
      bytes[i + 1] = (v >>> 8) & 0xff;
      bytes[i + 2] = (v >>> 16) & 0xff;
      bytes[i + 3] = (v >>> 24) & 0xff;
    }
    return formatGuid(bytes);
  }
}
