// The product's worker role in its own process (`bin/entra-backup.js serve --role worker`),
// pointed at a TestWorld's dev tenant and store, so tests can SIGKILL it at any instant: no
// cleanup code runs, exactly as when a container or VM dies.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { TestWorld } from '../../helpers/test-world.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(ROOT, 'bin/entra-backup.js');

export interface ProductProcess {
  proc: ChildProcess;
  /** Resolves with the parsed `--json` start-up document (urls, role). */
  ready: Promise<{ role: string; urls: Record<string, string> }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** What it printed on stdout (its start-up document, errors of `--json`). */
  stdout(): string;
  kill(signal?: NodeJS.Signals): void;
}

/** Environment that points a product process at the world's dev tenant and DATA_DIR. */
export function worldEnv(world: TestWorld, extra: Record<string, string> = {}): Record<string, string> {
  const graph = new URL(world.devTenant.graphUrl);
  const login = new URL(world.devTenant.authorityUrl);
  return {
    NODE_ENV: 'test',
    DATA_DIR: world.dataDir,
    // Each worker answers /healthz on a port of its own: on the default port only the first
    // of several workers could start (the others exit: "PORT … is already in use").
    PORT: '0',
    LOG_LEVEL: process.env.CHAOS_CHILD_LOG ?? 'silent',
    DEV_TENANT_GRAPH_PORT: graph.port,
    DEV_TENANT_LOGIN_PORT: login.port,
    SCHEDULER_ENABLED: 'false',
    WORKER_POLL_SECONDS: '0.1',
    LEASE_SECONDS: '5',
    ...extra,
  };
}

export function startProductProcess(role: 'worker' | 'web', env: Record<string, string>): ProductProcess {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The child gets the test's PATH etc., never vitest's own variables or another store.
    if (v !== undefined && !k.startsWith('VITEST') && !k.startsWith('COSMOS_')) clean[k] = v;
  }
  const proc = spawn(process.execPath, [BIN, 'serve', '--role', role, '--json'], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let resolveReady: (v: { role: string; urls: Record<string, string> }) => void = () => {};
  let rejectReady: (e: Error) => void = () => {};
  const ready = new Promise<{ role: string; urls: Record<string, string> }>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    // serve --json prints one pretty JSON document; log lines (if any) go to stdout too.
    const start = out.indexOf('{\n');
    const end = out.indexOf('\n}', start);
    if (start >= 0 && end > start) {
      try {
        resolveReady(JSON.parse(out.slice(start, end + 2)));
      } catch {
        // not complete yet
      }
    }
  });
  proc.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      rejectReady(new Error(`${role} exited (${code ?? signal}) before it was ready: ${err.slice(-1500)}`));
      resolve({ code, signal });
    });
  });
  return {
    proc,
    ready,
    exited,
    stderr: () => err,
    stdout: () => out,
    kill: (signal = 'SIGKILL') => proc.kill(signal),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it returns a value other than undefined. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export interface KillLoopOptions<T> {
  /** Environment for each worker; gets WORKER_ID added. */
  env: (workerId: string) => Record<string, string>;
  workerPrefix: string;
  /** The job's end state, once it ended. */
  finished: () => Promise<T | undefined>;
  /** The worker id holding the job's lease right now, if any. */
  holder: () => Promise<string | undefined>;
  /** Kills wanted on this job (stops early if the job ends first). */
  kills: number;
  /** Milliseconds to let the holder work before the kill. */
  delay: () => number;
  timeoutMs?: number;
}

/**
 * Runs worker processes on one job and SIGKILLs the lease holder `kills` times at random
 * instants; a spare worker is always started ahead, so it takes over as soon as the dead
 * worker's lease expires. Returns the job's end state and the kills that landed.
 */
export async function killWorkersUntil<T>(
  o: KillLoopOptions<T>,
): Promise<{ result: T; kills: number; workers: number }> {
  const procs = new Map<string, ProductProcess>();
  // Workers that ended without being killed here (a crash): named in the timeout's message.
  const died: string[] = [];
  const gone = new Set<string>();
  let n = 0;
  const spawnOne = () => {
    const id = `${o.workerPrefix}-${n++}`;
    const p = startProductProcess('worker', o.env(id));
    p.exited.then(({ code, signal }) => {
      if (gone.has(id)) return;
      gone.add(id);
      died.push(
        `${id} exited (${code ?? signal}): ${`${p.stdout()}\n${p.stderr()}`
          .replace(/^.*(DEP0111|trace-deprecation).*$/gm, '')
          .trim()
          .slice(-600)}`,
      );
    });
    procs.set(id, p);
    return id;
  };
  let spare = spawnOne();
  let kills = 0;
  const timeoutMs = o.timeoutMs ?? 240_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (Date.now() > deadline) {
        const state = await o.holder().catch((e: unknown) => `holder unreadable: ${String(e)}`);
        throw new Error(
          `job did not end within ${timeoutMs} ms (${kills} kills, ${n} workers started; lease holder now: ${state ?? 'none'}; workers that died on their own: ${died.length ? died.join(' | ') : 'none'})`,
        );
      }
      const done = await o.finished();
      if (done !== undefined) {
        // A worker that crashed is a finding, even when the spare finished the job.
        if (died.length) throw new Error(`workers died on their own: ${died.join(' | ')}`);
        return { result: done, kills, workers: n };
      }
      // The spare died on its own (not killed here): start another, so one is always ready.
      if (gone.has(spare)) spare = spawnOne();
      const owner = await o.holder();
      const proc = owner ? procs.get(owner) : undefined;
      if (!owner || !proc) {
        await sleep(20);
        continue;
      }
      if (owner === spare) spare = spawnOne();
      if (kills >= o.kills) {
        await sleep(50);
        continue;
      }
      await sleep(o.delay());
      if ((await o.finished()) !== undefined) continue;
      gone.add(owner);
      proc.kill('SIGKILL');
      await proc.exited;
      procs.delete(owner);
      kills++;
    }
  } finally {
    for (const p of procs.values()) p.kill('SIGKILL');
    await Promise.all([...procs.values()].map((p) => p.exited));
  }
}
