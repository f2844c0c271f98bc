// Output of a benchmark run: one JSON line per scenario on stdout, a human table, and the whole
// run (machine, sizes, results) in bench/results/<date>[.quick].json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type } from 'node:os';
import { join } from 'node:path';

export type ScenarioStatus = 'ok' | 'waiting' | 'failed';

export interface ScenarioResult {
  scenario: string;
  status: ScenarioStatus;
  /** Measured ÷ lower bound (the scenario says which measure); null when not measured. */
  ratioToLowerBound: number | null;
  /** Why a scenario did not run (a part not landed yet, or an error). */
  reason?: string;
  [figure: string]: unknown;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  commit?: string;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews timings. */
  loadAverage: number[];
}

export function machineInfo(repoRoot: string): MachineInfo {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown';
  let commit: string | undefined;
  try {
    // Read-only look at the checked-out commit, for the results file.
    const head = readFileSync(join(repoRoot, '.git', 'HEAD'), 'utf8').trim();
    commit = head.startsWith('ref: ')
      ? readFileSync(join(repoRoot, '.git', head.slice(5)), 'utf8')
          .trim()
          .slice(0, 12)
      : head.slice(0, 12);
  } catch {
    commit = undefined;
  }
  return {
    cpu,
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: type(),
    node: process.version,
    commit,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function jsonLine(result: ScenarioResult): string {
  return JSON.stringify(result);
}

const KEY_FIGURES: Record<string, string[]> = {
  'full-backup': ['wallMs', 'criticalPathMs', 'graphRequests', 'requestLowerBound', 'throttled', 'peakRssMb'],
  incremental: [
    'graphRequests',
    'requestLowerBound',
    'wallMs',
    'versionsWritten',
    'changesMade',
    'dayToNaiveRequests',
  ],
  search: ['sqlitePrefixP99Ms', 'sqliteSubstringP99Ms', 'sqliteIdP99Ms', 'cosmosSubstringP99Ms'],
  restore: ['wallMs', 'graphRequests', 'requestLowerBound', 'restored'],
  bot: ['p50Ms', 'p99Ms', 'requests'],
  'naive-baseline': ['wallMs', 'graphRequests', 'requestLowerBound', 'timeExtrapolated'],
  'cosmos-writes': ['httpRequestsPerVersionMeasured', 'versionDocBytesMeasured', 'ruPerVersionEstimated'],
};

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** A fixed-width table: scenario, status, ratio, and each scenario's key figures. */
export function table(results: ScenarioResult[]): string {
  const rows = results.map((r) => {
    const figures = (KEY_FIGURES[r.scenario] ?? [])
      .filter((k) => r[k] !== undefined)
      .map((k) => `${k}=${cell(r[k])}`)
      .join('  ');
    return [r.scenario, r.status, cell(r.ratioToLowerBound), r.status === 'ok' ? figures : (r.reason ?? '')];
  });
  const header = ['scenario', 'status', 'ratio', 'figures'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cols: string[]) =>
    cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface RunFile {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  machine: MachineInfo;
  settings: Record<string, unknown>;
  results: ScenarioResult[];
}

/** The file a run writes: bench/results/<YYYY-MM-DD>.json (quick runs: <date>.quick.json). */
export function runFilePath(dir: string, run: Pick<RunFile, 'startedAt' | 'mode'>): string {
  const date = run.startedAt.slice(0, 10);
  const base = join(dir, run.mode === 'quick' ? `${date}.quick` : date);
  // Several runs the same day keep every file: later ones get a time suffix.
  return existsSync(`${base}.json`)
    ? `${base}.${run.startedAt.slice(11, 19).replace(/:/g, '')}.json`
    : `${base}.json`;
}

/** Writes the run to `path` (or a fresh path in `dir`); returns the path. Called after each scenario. */
export function writeRunFile(dir: string, run: RunFile, path = runFilePath(dir, run)): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, `${JSON.stringify(run, null, 2)}\n`);
  return path;
}
