// The parent side of bench/full-backup-child.ts: runs the full backup in its own process (the
// product's runtime only) and returns what the child measured. The benchmark process meanwhile
// only waits; its own RSS is sampled too, so both figures can be reported.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ObjectType, TypeCounts } from '../../src/domain.ts';
import { REPO_ROOT } from './parts.ts';

export interface ChildBackup {
  run: {
    status: string;
    graphRequests: number;
    throttled: number;
    counts: Partial<Record<ObjectType, TypeCounts>>;
    firstError?: string;
  };
  wallMs: number;
  typeSpans: Record<string, { first: number; last: number; pages: number }>;
  memory: {
    /** Sampled every 25 ms during the backup. */
    peakRssMb: number;
    /** The kernel's high-water mark (VmHWM) over the child's whole life: exact. */
    kernelPeakRssMb?: number;
    rssAtStartMb: number;
    peakAtMs: number;
    heapUsedMb: number;
    externalMb: number;
  };
}

export function runFullBackupChild(options: {
  dataDir: string;
  graphPort: number;
  loginPort: number;
  tenantId: string;
  types: ObjectType[];
  onLog?: (line: string) => void;
}): Promise<ChildBackup> {
  const { onLog, ...args } = options;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'bench', 'full-backup-child.ts'), JSON.stringify(args)],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise<ChildBackup>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      onLog?.(chunk.toString().trimEnd());
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) {
        resolve(JSON.parse(line) as ChildBackup);
        return;
      }
      const lines = err.split('\n').map((l) => l.trim());
      const why = lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines.filter(Boolean).pop() ?? '';
      reject(new Error(`full backup process exited (${code}): ${why}`));
    });
  });
}
