import { describe, expect, it } from 'vitest';
import { parseTimeOrDuration } from '../../src/backup/queries.ts';
import { createPacer } from '../../src/backup/rate-pacer.ts';
import { incrementalSlot, latestCronSlot } from '../../src/backup/scheduler.ts';

describe('schedule slots', () => {
  it('finds the latest daily full slot at or before now (UTC)', () => {
    expect(latestCronSlot('0 2 * * *', new Date('2025-03-10T01:59:00Z'))?.toISOString()).toBe(
      '2025-03-09T02:00:00.000Z',
    );
    expect(latestCronSlot('0 2 * * *', new Date('2025-03-10T02:00:00Z'))?.toISOString()).toBe(
      '2025-03-10T02:00:00.000Z',
    );
    expect(latestCronSlot('30 23 * * 0', new Date('2025-03-10T12:00:00Z'))?.toISOString()).toBe(
      '2025-03-09T23:30:00.000Z',
    );
  });

  it('aligns incremental slots to the interval', () => {
    expect(incrementalSlot(15, new Date('2025-03-10T10:29:59Z')).toISOString()).toBe(
      '2025-03-10T10:15:00.000Z',
    );
    expect(incrementalSlot(15, new Date('2025-03-10T10:30:00Z')).toISOString()).toBe(
      '2025-03-10T10:30:00.000Z',
    );
  });

  it('parses times and durations, and names bad input', () => {
    const now = new Date('2025-03-10T12:00:00Z');
    expect(parseTimeOrDuration('2h', now)).toBe('2025-03-10T10:00:00.000Z');
    expect(parseTimeOrDuration('7d', now)).toBe('2025-03-03T12:00:00.000Z');
    expect(parseTimeOrDuration('2025-03-01', now)).toBe('2025-03-01T00:00:00.000Z');
    expect(() => parseTimeOrDuration('yesterday-ish', now)).toThrow(/neither a time .* nor a duration/);
  });
});

describe('rate pacer', () => {
  it('lets at most N requests through per window', async () => {
    let t = 0;
    const pacer = createPacer(2, 50, () => t);
    await pacer.take();
    await pacer.take();
    let third = false;
    const p = pacer.take().then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    t = 60;
    await p;
    expect(third).toBe(true);
  });
});
