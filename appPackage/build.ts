// `npm run package [-- --env dev]`: fills appPackage/manifest.json's ${{...}} placeholders from
// env/.env.<env> (+ .user, + the process environment), validates the result against Microsoft's
// schema and the product's rules, and writes appPackage/build/appPackage.<env>.zip (manifest.json,
// color.png, outline.png at the root, as Teams expects) and the filled manifest beside it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { fillPlaceholders, loadToolkitEnv } from './env-file.ts';
import { validateManifest } from './manifest-checks.ts';

export const APP_PACKAGE_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(APP_PACKAGE_DIR, '..');

/** Placeholders that may be empty (a name suffix such as " (dev)" is optional). */
const MAY_BE_EMPTY = new Set(['APP_NAME_SUFFIX']);
/** A fixed timestamp so the same inputs give the same zip bytes. */
const ZIP_MTIME = new Date('2025-01-01T00:00:00Z');

export interface BuildOptions {
  env: string;
  /** Folder of the toolkit env files; default `<repo>/env`. */
  envDir?: string;
  /** Where the zip goes; default `appPackage/build`. */
  outDir?: string;
  /** Values that win over the env files (default: process.env). */
  processEnv?: NodeJS.ProcessEnv;
}

export interface BuildResult {
  zipPath: string;
  manifestPath: string;
  manifest: Record<string, unknown>;
}

export class PackageError extends Error {
  override readonly name = 'PackageError';
}

function zipFiles(files: { name: string; data: Buffer }[], target: string): Promise<void> {
  return new Promise((resolveZip, reject) => {
    const zip = new yazl.ZipFile();
    for (const file of files) zip.addBuffer(file.data, file.name, { mtime: ZIP_MTIME, mode: 0o100644 });
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => {
      try {
        writeFileSync(target, Buffer.concat(chunks));
        resolveZip();
      } catch (error) {
        reject(error);
      }
    });
    zip.end();
  });
}

export async function buildAppPackage(options: BuildOptions): Promise<BuildResult> {
  const envDir = options.envDir ?? join(REPO_ROOT, 'env');
  const outDir = options.outDir ?? join(APP_PACKAGE_DIR, 'build');
  const values = loadToolkitEnv(options.env, envDir, options.processEnv ?? process.env);
  const template = readFileSync(join(APP_PACKAGE_DIR, 'manifest.json'), 'utf8');
  let filled: string;
  try {
    filled = fillPlaceholders(template, values, MAY_BE_EMPTY);
  } catch (error) {
    throw new PackageError(`appPackage/manifest.json for env "${options.env}": ${(error as Error).message}`);
  }
  const manifest = JSON.parse(filled) as Record<string, unknown>;
  const errors = await validateManifest(manifest, APP_PACKAGE_DIR);
  if (errors.length > 0) {
    throw new PackageError(
      `the Teams manifest for env "${options.env}" is not valid:\n  ${errors.join('\n  ')}`,
    );
  }
  const icons = manifest.icons as { color: string; outline: string };
  mkdirSync(outDir, { recursive: true });
  const manifestPath = join(outDir, `manifest.${options.env}.json`);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const zipPath = join(outDir, `appPackage.${options.env}.zip`);
  await zipFiles(
    [
      { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
      { name: icons.color, data: readFileSync(join(APP_PACKAGE_DIR, icons.color)) },
      { name: icons.outline, data: readFileSync(join(APP_PACKAGE_DIR, icons.outline)) },
    ],
    zipPath,
  );
  return { zipPath, manifestPath, manifest };
}

function argValue(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  if (index >= 0) return argv[index + 1];
  return argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const env = argValue(argv, '--env') ?? process.env.TEAMSFX_ENV ?? 'dev';
  buildAppPackage({ env })
    .then((result) => process.stdout.write(`wrote ${result.zipPath}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
