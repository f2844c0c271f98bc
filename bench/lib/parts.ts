// Parts of the product other helpers build: loaded when present, else the scenario reports
// "waiting" naming the missing file, so the harness runs (and CI stays green) while they land.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export class MissingPartError extends Error {
  override readonly name = 'MissingPartError';
  constructor(readonly file: string) {
    super(`waiting for ${file}`);
  }
}

/** Imports `file` (relative to the repo root) or throws MissingPartError when it is not there yet. */
export async function loadPart<T>(file: string): Promise<T> {
  const path = join(REPO_ROOT, file);
  if (!existsSync(path)) throw new MissingPartError(file);
  return (await import(pathToFileURL(path).href)) as T;
}
