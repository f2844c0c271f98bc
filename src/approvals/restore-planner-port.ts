// The approval flow's one dependency on the restore engine: plan a request (the plan is the
// preview the approvers see and exactly what the worker executes).
import type { AppContext } from '../app-context.ts';
import { planRestore } from '../restore/planner.ts';
import type { RestorePlan } from '../restore/restore-types.ts';

export async function planRestoreRequest(
  ctx: AppContext,
  tenantId: string,
  request: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  // The tenant always comes from the acting admin, never from the request body.
  const plan: RestorePlan = await planRestore(ctx, { ...request, tenantId });
  return plan as unknown as Record<string, unknown>;
}
