// What CLI verbs are given: a way to open the product's runtime from the environment, and one
// output helper so every verb prints JSON with --json and readable text otherwise.
import type { AppContext } from '../app-context.ts';
import type { DevTenant } from '../devtenant/dev-tenant.ts';

export interface Runtime extends AppContext {
  /** The dev tenant when this process started it (tests drive its faults and mutations). */
  devTenantHandle?: DevTenant;
  /** Stops whatever the runtime started (dev tenant, store connections). */
  close(): Promise<void>;
}

export interface CliDeps {
  /** Builds an AppContext from the environment (store, Graph factory, dev tenant if configured). */
  openRuntime(options?: { startDevTenant?: boolean }): Promise<Runtime>;
  /** Prints `data` as one JSON document when `json`, else `human(data)`'s text. */
  output<T>(json: boolean, data: T, human: (data: T) => string): void;
  /** Prints an error (JSON `{error:{code,message}}` with --json) and sets a non-zero exit code. */
  fail(json: boolean, code: string, message: string): void;
}

export function output<T>(json: boolean, data: T, human: (data: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human(data)}\n`);
}

export function fail(json: boolean, code: string, message: string): void {
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
  else process.stderr.write(`error: ${message}\n`);
  process.exitCode = process.exitCode || 2;
}
