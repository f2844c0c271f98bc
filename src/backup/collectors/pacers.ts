// One pacer per tenant and paced type in this process, shared by the runs it executes.
import { createPacer, NO_PACE, type Pacer } from '../rate-pacer.ts';
import type { TypeSpec } from '../type-specs.ts';

const pacers = new Map<string, Pacer>();

export function pacerFor(tenantId: string, spec: TypeSpec): Pacer {
  if (!spec.pace) return NO_PACE;
  const key = `${tenantId}|${spec.type}`;
  let pacer = pacers.get(key);
  if (!pacer) {
    pacer = createPacer(spec.pace.requests, spec.pace.windowMs);
    pacers.set(key, pacer);
  }
  return pacer;
}
