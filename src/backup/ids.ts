// Deterministic ids: a replayed page produces the same ids, so nothing is written twice.
import { randomBytes } from 'node:crypto';
import type { EdgeKind } from '../domain.ts';

export function versionIdFor(capturedAt: string, hash: string): string {
  return `${capturedAt}~${hash.slice(0, 16)}`;
}

export function edgeIdFor(
  sourceId: string,
  kind: EdgeKind,
  targetId: string,
  addedAt: string,
  discriminator?: string,
): string {
  const target = discriminator ? `${targetId}#${discriminator}` : targetId;
  return `${sourceId}|${kind}|${target}|${addedAt}`;
}

/** Key of an edge among a source's edges of one kind: target plus discriminator. */
export function edgeKey(targetId: string, discriminator?: string): string {
  return discriminator ? `${targetId}#${discriminator}` : targetId;
}

/** Time-sortable run id: `20250101T020000Z-ab12cd`. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Run id of a scheduled slot: the same in every scheduler process, so only one is created. */
export function scheduledRunId(kind: 'incremental' | 'full', slot: Date): string {
  const stamp = slot
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-sched-${kind === 'full' ? 'full' : 'inc'}`;
}
