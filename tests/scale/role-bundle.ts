// The product's CLI (`entra-backup`) as one esbuild bundle, so every role process of a scale test
// starts in plain node in about a second instead of transpiling through tsx (5–8 s on two loaded
// cores). Unlike tests/helpers/child-bundle.ts this bundle also serves the web role: modules that
// find their files next to their source (`import.meta.url`: the bot's card templates, the tab's
// built files) get their source file's URL written in, so they still find them from the bundle.
// The bundle lives under node_modules/.cache (inside the repository: its bare imports resolve).
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI_ENTRY = path.join(ROOT, 'src/cli/main.ts');

const keepSourceUrl: Plugin = {
  name: 'keep-source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      return {
        contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: args.path.endsWith('x') ? 'tsx' : 'ts',
      };
    });
  },
};

export interface RoleBundle {
  /** `node <file> serve --role …` */
  file: string;
  remove(): Promise<void>;
}

/** Bundles the CLI afresh (≈ 0.5 s) into a file private to this test process. */
export async function bundleRoles(): Promise<RoleBundle> {
  const file = path.join(ROOT, 'node_modules/.cache/test-children', `entra-backup-roles.${process.pid}.mjs`);
  await build({
    entryPoints: [CLI_ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: file,
    logLevel: 'silent',
    plugins: [keepSourceUrl],
  });
  return { file, remove: () => rm(file, { force: true }) };
}
