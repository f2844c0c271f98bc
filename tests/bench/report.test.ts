import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLine, machineInfo, type ScenarioResult, table, writeRunFile } from '../../bench/lib/report.ts';

const results: ScenarioResult[] = [
  { scenario: 'full-backup', status: 'ok', ratioToLowerBound: 1.2, wallMs: 1000, criticalPathMs: 833.3 },
  { scenario: 'restore', status: 'waiting', ratioToLowerBound: null, reason: 'waiting for src/restore/x.ts' },
];

describe('benchmark output', () => {
  it('one JSON line per scenario, starting with the scenario and its ratio', () => {
    const line = jsonLine(results[0]);
    expect(line).not.toContain('\n');
    expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(['scenario', 'status', 'ratioToLowerBound']);
  });

  it('a table with the key figures, or the reason a scenario did not run', () => {
    const text = table(results);
    expect(text.split('\n')[0]).toMatch(/^scenario\s+status\s+ratio\s+figures$/);
    expect(text).toMatch(/full-backup\s+ok\s+1\.20\s+wallMs=1000\s+criticalPathMs=833\.30/);
    expect(text).toMatch(/restore\s+waiting\s+-\s+waiting for src\/restore\/x\.ts/);
  });

  it('writes bench/results/<date>.json without overwriting a run of the same day', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    try {
      const run = {
        startedAt: '2026-01-02T03:04:05.000Z',
        finishedAt: '2026-01-02T03:05:05.000Z',
        mode: 'full' as const,
        machine: machineInfo(process.cwd()),
        settings: {},
        results,
      };
      expect(writeRunFile(dir, run)).toBe(join(dir, '2026-01-02.json'));
      expect(writeRunFile(dir, run)).toBe(join(dir, '2026-01-02.030405.json'));
      expect(writeRunFile(dir, { ...run, mode: 'quick' })).toBe(join(dir, '2026-01-02.quick.json'));
      expect(readdirSync(dir).sort()).toEqual([
        '2026-01-02.030405.json',
        '2026-01-02.json',
        '2026-01-02.quick.json',
      ]);
      const saved = JSON.parse(readFileSync(join(dir, '2026-01-02.json'), 'utf8'));
      expect(saved.machine.cores).toBeGreaterThan(0);
      expect(saved.results).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
