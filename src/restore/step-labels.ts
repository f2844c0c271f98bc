// What each restore step does, in words: one table for the bot's cards and the tab's pages.
// No Node imports (the tab's browser bundle imports it); the type import is erased at build.
import type { StepKind } from './restore-types.ts';

/** Read as "<label>: <target>" (tab) or "<label> — <target>" (bot cards). */
export const STEP_LABELS: Readonly<Record<StepKind, string>> = {
  restoreFromRecycleBin: 'Restore from the recycle bin (keeps the object id)',
  verifyReturned: 'Check what returned with the object; add what is missing',
  create: 'Create the object',
  patch: 'Update changed properties',
  addMember: 'Add membership',
  removeMember: 'Remove membership',
  addOwner: 'Add owner',
  removeOwner: 'Remove owner',
  addRoleAssignment: 'Add role assignment',
  removeRoleAssignment: 'Remove role assignment',
  addAppRoleAssignment: 'Add app role assignment',
  removeAppRoleAssignment: 'Remove app role assignment',
  addAuMember: 'Add to administrative unit',
  setManager: 'Set manager',
  removeManager: 'Remove manager',
  delete: 'Delete',
  reportOnly: 'Report only',
  skip: 'Skipped',
};

/** The label of a step kind; an unknown kind (a newer plan read by older code) shows as is. */
export function stepLabel(kind: string): string {
  return Object.hasOwn(STEP_LABELS, kind) ? STEP_LABELS[kind as StepKind] : kind;
}
