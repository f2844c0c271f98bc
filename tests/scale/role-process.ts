// One product process (`entra-backup serve --role web|worker`) started by a scale test: its output
// lines are kept (shown when the test fails), and the test can wait for a line, SIGKILL it or
// stop it cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface RoleProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  /** stdout and stderr lines, in arrival order. */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line matching `test`; rejects when the process exits first or on timeout. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGTERM (clean shutdown: leases released by finishing or expiring), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of output, for a failure message. */
  tail(n?: number): string;
}

export interface RoleProcessOptions {
  name: string;
  /** The command: `[process.execPath, bundle]` (fast start) or the tsx-backed bin. */
  command: [string, ...string[]];
  args: string[];
  env: Record<string, string>;
}

export function startRoleProcess(options: RoleProcessOptions): RoleProcess {
  const [cmd, ...pre] = options.command;
  const proc = spawn(cmd, [...pre, ...options.args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let exitedFlag = false;
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) lines.push(line);
      for (const wake of [...waiters]) wake();
    });
  };
  collect(proc.stdout);
  collect(proc.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitedFlag = true;
      for (const wake of [...waiters]) wake();
      resolve({ code, signal });
    });
  });
  const tail = (n = 30) => lines.slice(-n).join('\n');

  return {
    name: options.name,
    proc,
    lines,
    exited,
    tail,
    waitForLine(test, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(test);
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (exitedFlag) {
            done();
            reject(new Error(`${options.name} exited before the expected line:\n${tail()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${options.name}: no expected line within ${timeoutMs} ms:\n${tail()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 10_000) {
      if (exitedFlag) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
