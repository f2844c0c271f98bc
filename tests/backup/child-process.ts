// Starting the backup child process and reading its output lines. The child runs in plain node
// from an esbuild bundle (prepareChild, once per test file; the bundle is cached across files and
// runs), so it starts in well under a second; without prepareChild it falls back to tsx.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { bundleChild } from '../helpers/child-bundle.ts';
import type { WorldSpec } from './fixtures/world-context.ts';

const CHILD = path.resolve(import.meta.dirname, 'fixtures/backup-child.ts');
const TSX = path.resolve(import.meta.dirname, '../../node_modules/.bin/tsx');
let bundled: string | undefined;

/** Bundles the child entry (or reuses the cached bundle); call in beforeAll. */
export async function prepareChild(): Promise<void> {
  bundled = await bundleChild(CHILD);
}

export interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** Resolves when a line satisfying `test` has been printed (or the child exits). */
  waitFor(test: (line: string) => boolean): Promise<boolean>;
  /** Lets a child started with BACKUP_WAIT_GO=1 begin. */
  go(): void;
}

export function startChild(spec: WorldSpec, args: string[], env: Record<string, string> = {}): Child {
  const [command, argv] = bundled ? [process.execPath, [bundled, ...args]] : [TSX, [CHILD, ...args]];
  const proc = spawn(command, argv, {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, BACKUP_WORLD: JSON.stringify(spec), ...env },
    stdio: [env.BACKUP_WAIT_GO === '1' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { test: (l: string) => boolean; resolve: (v: boolean) => void }[] = [];
  let buf = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(true);
        }
      }
      i = buf.indexOf('\n');
    }
  });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code) => {
      if (code && code !== 0 && process.env.BACKUP_TEST_LOG) process.stderr.write(stderr);
      for (const w of waiters) w.resolve(false);
      resolve(code);
    });
  });
  return {
    proc,
    lines,
    exited,
    go() {
      proc.stdin?.write('go\n');
    },
    waitFor(test) {
      if (lines.some(test)) return Promise.resolve(true);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}

export function resultOf(child: Child): unknown {
  const line = child.lines.find((l) => l.startsWith('RESULT '));
  return line ? JSON.parse(line.slice('RESULT '.length)) : undefined;
}
