// The audit log's hash chain: how an entry's hash is computed (both stores use this), and the
// verification behind `entra-backup audit verify`, which names the first altered or removed entry.
import { createHash } from 'node:crypto';
import type { AuditEntry, Store } from './store.ts';
import { canonicalJson } from './store-values.ts';

/** prevHash of the first entry of every tenant's chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** sha256 over (seq, at, actor, action, target, details, prevHash), as canonical JSON. */
export function auditHash(entry: Omit<AuditEntry, 'hash' | 'tenantId'>): string {
  const material = canonicalJson([
    entry.seq,
    entry.at,
    entry.actor,
    entry.action,
    entry.target ?? null,
    entry.details ?? null,
    entry.prevHash,
  ]);
  return createHash('sha256').update(material).digest('hex');
}

export type AuditProblem =
  /** The entry's content no longer matches its hash. */
  | 'altered'
  /** The entry does not link to the previous one (its prevHash differs). */
  | 'broken-link'
  /** One or more entries are missing (a gap in seq, or the chain ends before its recorded head). */
  | 'removed';

export interface AuditVerification {
  tenantId: string;
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** seq of the last entry read. */
  lastSeq: number;
  /** The first problem found, if any. */
  firstProblem?: { seq: number; problem: AuditProblem; message: string };
}

/** Walks the tenant's whole chain oldest first; stops at the first problem. */
export async function verifyAuditChain(store: Store, tenantId: string): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  const fail = (seq: number, problem: AuditProblem, message: string): AuditVerification => ({
    tenantId,
    ok: false,
    entries,
    lastSeq: expectedSeq - 1,
    firstProblem: { seq, problem, message },
  });

  for await (const entry of store.readAuditChain(tenantId)) {
    if (entry.seq !== expectedSeq) {
      return fail(
        expectedSeq,
        'removed',
        entry.seq > expectedSeq
          ? `entries ${expectedSeq}..${entry.seq - 1} are missing`
          : `entry ${entry.seq} appears out of order after ${expectedSeq - 1}`,
      );
    }
    if (entry.prevHash !== prevHash) {
      return fail(entry.seq, 'broken-link', `entry ${entry.seq} does not link to entry ${entry.seq - 1}`);
    }
    if (auditHash(entry) !== entry.hash) {
      return fail(
        entry.seq,
        'altered',
        `entry ${entry.seq} was altered: its content does not match its hash`,
      );
    }
    prevHash = entry.hash;
    expectedSeq += 1;
    entries += 1;
  }

  const head = store.readAuditHead ? await store.readAuditHead(tenantId) : undefined;
  if (head && head.seq > entries) {
    return fail(
      entries + 1,
      'removed',
      `entries ${entries + 1}..${head.seq} are missing (the chain's head is ${head.seq})`,
    );
  }
  if (head && head.seq === entries && entries > 0 && head.hash !== prevHash) {
    return fail(entries, 'altered', `entry ${entries} does not match the chain's recorded head`);
  }
  return { tenantId, ok: true, entries, lastSeq: entries };
}
