// Runs 'verifyReturned' steps: after objects come back from the recycle bin, reads back the
// relationships each was expected to bring with it (one $batch of list reads for up to 20
// objects) and adds only those that did not return, through the ordinary add steps. Idempotent:
// a resumed run finds what it added and adds nothing twice.
import type { GraphClient } from '../graph/gateway.ts';
import { permissionsFor } from './permissions.ts';
import type { ExpectedRelation } from './recycle-bin-relations.ts';
import { factKey, type ListRead, type RelationFact, readLiveLists } from './relationships.ts';
import type { RestoreStep, StepKind } from './restore-types.ts';
import type { StepOutcome } from './step-runner.ts';

function expectedOf(step: RestoreStep): ExpectedRelation[] {
  return Array.isArray(step.details.relationships) ? (step.details.relationships as ExpectedRelation[]) : [];
}

/** The add step that restores one relationship (run like any planned add). */
function addStepFor(parent: RestoreStep, fact: ExpectedRelation, k: number): RestoreStep {
  let kind: StepKind;
  let details: Record<string, unknown>;
  if (fact.kind === 'member' || fact.kind === 'owner') {
    kind =
      fact.kind === 'owner'
        ? 'addOwner'
        : fact.sourceType === 'administrativeUnit'
          ? 'addAuMember'
          : 'addMember';
    details = { memberId: fact.targetId, memberName: fact.otherName };
  } else if (fact.kind === 'manager') {
    kind = 'setManager';
    details = { memberId: fact.targetId, memberName: fact.otherName, memberType: fact.targetType ?? 'user' };
  } else if (fact.kind === 'roleAssignment') {
    kind = 'addRoleAssignment';
    details = {
      principalId: fact.targetId,
      roleDefinitionId: fact.sourceId,
      directoryScopeId: fact.directoryScopeId ?? '/',
    };
  } else {
    kind = 'addAppRoleAssignment';
    details = { principalId: fact.targetId, resourceId: fact.sourceId, appRoleId: fact.appRoleId };
  }
  return {
    stepId: `${parent.stepId}.${k}`,
    kind,
    target: {
      objectType: fact.sourceType,
      objectId: fact.sourceId,
      // The restored object itself for its own lists (members, owners, manager), else the other end.
      displayName: fact.sourceId === parent.target.objectId ? parent.target.displayName : fact.otherName,
    },
    details,
    expected: { present: false },
    permissions: permissionsFor(kind, fact.sourceType),
  };
}

/** Live facts of each (step, perspective) pair, read together. */
async function readBack(
  client: GraphClient,
  steps: RestoreStep[],
): Promise<Map<string, RelationFact[] | Error>> {
  const reads: { key: string; read: ListRead }[] = [];
  for (const step of steps) {
    for (const perspective of new Set(expectedOf(step).map((f) => f.perspective))) {
      reads.push({
        key: `${step.stepId}|${perspective}`,
        read: {
          type: step.target.objectType,
          id: step.target.objectId,
          perspective,
          candidates: expectedOf(step).filter((f) => f.perspective === perspective),
        },
      });
    }
  }
  const lists = await readLiveLists(
    client,
    reads.map((r) => r.read),
  );
  return new Map(reads.map((r, i) => [r.key, lists[i]]));
}

/**
 * Runs like 'verifyReturned' steps. `runAdds` runs the add steps for what did not return (the
 * step runner's group runner: $batch for memberships and owners).
 */
export async function runReturnedChecks(
  client: GraphClient,
  steps: RestoreStep[],
  runAdds: (adds: RestoreStep[]) => Promise<StepOutcome[]>,
): Promise<StepOutcome[]> {
  const live = await readBack(client, steps);
  const outcomes: StepOutcome[] = [];
  const missingOf: ExpectedRelation[][] = [];
  const adds: { index: number; add: RestoreStep; fact: ExpectedRelation }[] = [];
  steps.forEach((step, index) => {
    const expected = expectedOf(step);
    const missing: ExpectedRelation[] = [];
    let readError: Error | undefined;
    for (const fact of expected) {
      const facts = live.get(`${step.stepId}|${fact.perspective}`);
      if (facts instanceof Error) readError = facts;
      else if (!facts?.some((f) => factKey(f) === factKey(fact))) missing.push(fact);
    }
    missingOf.push(missing);
    outcomes.push(
      readError
        ? {
            status: 'failed',
            code: 'RELATIONSHIPS_UNREADABLE',
            message: readError.message,
            reason: `could not read back the relationships of ${step.target.displayName}: ${readError.message}`,
          }
        : { status: 'done', reason: `all ${expected.length} returned with the object` },
    );
    if (readError) return;
    missing.forEach((fact, k) => {
      adds.push({ index, add: addStepFor(step, fact, k + 1), fact });
    });
  });
  if (adds.length === 0) return outcomes;

  // Same kinds together (one $batch per kind), in the plan's usual order.
  const byKind = new Map<StepKind, typeof adds>();
  for (const a of adds) byKind.set(a.add.kind, [...(byKind.get(a.add.kind) ?? []), a]);
  const results = new Map<RestoreStep, StepOutcome>();
  for (const group of byKind.values()) {
    const ran = await runAdds(group.map((g) => g.add));
    group.forEach((g, k) => {
      results.set(g.add, ran[k]);
    });
  }
  return outcomes.map((outcome, index) => {
    const mine = adds.filter((a) => a.index === index);
    if (mine.length === 0) return outcome;
    const names = mine.map((a) => a.fact.otherName).join(', ');
    const total = expectedOf(steps[index]).length;
    const bad = mine.filter((a) => results.get(a.add)?.status !== 'done');
    if (bad.length === 0) {
      return {
        status: 'done',
        reason: `${mine.length} of ${total} had not returned with the object and were added: ${names}`,
      };
    }
    const why = bad
      .map((a) => `${a.fact.otherName} (${results.get(a.add)?.reason ?? 'no outcome'})`)
      .join('; ');
    return {
      status: 'failed',
      code: 'RELATIONSHIP_NOT_RESTORED',
      message: why,
      reason: `${bad.length} of ${total} relationships did not return and could not be added: ${why}`,
    };
  });
}
