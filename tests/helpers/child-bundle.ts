// Child processes of tests (kill tests, worker processes) start in plain node from one esbuild
// bundle of their entry instead of transpiling through tsx at every start (5–8 s on two loaded
// cores; a bundle starts in well under a second). The bundle is cached under
// node_modules/.cache/test-children (inside the repository, so its bare imports resolve against
// node_modules) and shared by every test file and run: it is rebuilt only when one of its input
// files is newer than it. Writes go to a temporary name and are renamed, so test files bundling
// the same entry at once never see half a file.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = path.join(ROOT, 'node_modules/.cache/test-children');

async function mtimeMs(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** True when the bundle exists and none of the inputs it was built from changed since. */
async function fresh(bundle: string, inputsFile: string): Promise<boolean> {
  const built = await mtimeMs(bundle);
  if (built === undefined) return false;
  let inputs: string[];
  try {
    inputs = JSON.parse(await readFile(inputsFile, 'utf8')) as string[];
  } catch {
    return false;
  }
  const times = await Promise.all(inputs.map((f) => mtimeMs(path.resolve(ROOT, f))));
  return times.every((t) => t !== undefined && t <= built);
}

/**
 * Bundles `entry` (a .ts file) for `node <bundle> …` and returns the bundle's path; reuses a
 * cached bundle whose inputs did not change. Start it with `spawn(process.execPath, [bundle, …])`.
 */
export async function bundleChild(entry: string): Promise<string> {
  const abs = path.resolve(entry);
  const key = createHash('sha256').update(abs).digest('hex').slice(0, 12);
  const bundle = path.join(CACHE, `${path.basename(abs, '.ts')}-${key}.mjs`);
  const inputsFile = `${bundle}.inputs.json`;
  if (await fresh(bundle, inputsFile)) return bundle;
  await mkdir(CACHE, { recursive: true });
  const tmp = `${bundle}.${process.pid}.${Date.now()}.tmp`;
  const result = await build({
    entryPoints: [abs],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: tmp,
    metafile: true,
    logLevel: 'silent',
  });
  await writeFile(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(Object.keys(result.metafile.inputs)));
  await rename(tmp, bundle);
  await rename(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  return bundle;
}
