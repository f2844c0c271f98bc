// A full round keeps each group's member slices packed (delta-collector.ts TargetTypeCodes) until
// reconciliation: unpacking must give the union the round saw, as the Map it replaced did.
import { describe, expect, it } from 'vitest';
import { TargetTypeCodes } from '../../src/backup/collectors/delta-collector.ts';

describe('TargetTypeCodes', () => {
  it('unpacks the union of slices: each present target once, with the type it was last seen with', () => {
    const codes = new TargetTypeCodes();
    const slices = [
      codes.pack([
        { targetId: 'u1', targetType: '#microsoft.graph.user' },
        { targetId: 'g2', targetType: '#microsoft.graph.group' },
        { targetId: 'u3', removed: true },
      ]),
      codes.pack([]),
      codes.pack([{ targetId: 'u1', targetType: '#microsoft.graph.user' }, { targetId: 'd4' }]),
      codes.pack([{ targetId: 'g2', targetType: '#microsoft.graph.servicePrincipal' }]),
    ];
    expect(codes.unpack(slices)).toEqual([
      { targetId: 'u1', targetType: '#microsoft.graph.user' },
      { targetId: 'g2', targetType: '#microsoft.graph.servicePrincipal' },
      { targetId: 'd4' },
    ]);
    expect(codes.unpack([])).toEqual([]);
  });
});
