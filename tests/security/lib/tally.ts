// Figures of the reliability suites: each test adds what it observed (faults it injected, runs
// it executed, items lost / duplicated / repeated versus its reference). `npm run test:chaos`
// sets CHAOS_TALLY_DIR (vitest.chaos.config.ts); its reporter sums the files and prints the
// last line. Without the variable (plain `npm test`) nothing is written.
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Tally {
  faults: number;
  runs: number;
  lost: number;
  duplicated: number;
  repeated: number;
}

export const EMPTY_TALLY: Tally = { faults: 0, runs: 0, lost: 0, duplicated: 0, repeated: 0 };

export function recordTally(test: string, tally: Partial<Tally>): void {
  const dir = process.env.CHAOS_TALLY_DIR;
  if (!dir) return;
  const line = JSON.stringify({ test, ...EMPTY_TALLY, ...tally });
  appendFileSync(path.join(dir, `tally-${process.pid}.jsonl`), `${line}\n`);
}

export function sumTallies(dir: string): Tally & { entries: number } {
  const sum = { ...EMPTY_TALLY, entries: 0 };
  if (!existsSync(dir)) return sum;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.jsonl')) continue;
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const t = JSON.parse(line) as Tally;
      sum.faults += t.faults;
      sum.runs += t.runs;
      sum.lost += t.lost;
      sum.duplicated += t.duplicated;
      sum.repeated += t.repeated;
      sum.entries++;
    }
  }
  return sum;
}

export function chaosLine(t: Tally): string {
  return `chaos: ${t.faults} faults, ${t.runs} runs, ${t.lost} lost, ${t.duplicated} duplicated, ${t.repeated} repeated`;
}
