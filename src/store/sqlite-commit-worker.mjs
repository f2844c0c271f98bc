// Entry of the SQLite writer thread (sqlite-commit-thread.ts). Worker threads get none of the
// parent's TypeScript loader (tsx, vitest), so this plain module registers tsx and loads the
// TypeScript body.
import { tsImport } from 'tsx/esm/api';

await tsImport('./sqlite-commit-worker-body.ts', import.meta.url);
