// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Agents Toolkit placeholders are literal ${{NAME}} strings
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { BOT_COMMAND_TITLES, BOT_COMMANDS, manifestCommands } from '../../appPackage/bot-commands.ts';
import { APP_PACKAGE_DIR, buildAppPackage, PackageError } from '../../appPackage/build.ts';
import {
  fillPlaceholders,
  loadToolkitEnv,
  parseEnvFile,
  placeholderNames,
} from '../../appPackage/env-file.ts';
import { drawColorIcon, drawOutlineIcon } from '../../appPackage/icons/draw-icons.ts';
import { decodePng, encodePng, readPngInfo } from '../../appPackage/icons/png.ts';
import { productErrors, schemaErrors, validateManifest } from '../../appPackage/manifest-checks.ts';

const VALUES = {
  TEAMS_APP_ID: '6f0c2a51-8a4e-4c59-9d1e-0b6f6c2f2a11',
  BOT_APP_ID: '0a6b3f7e-2c1d-4e5f-8a9b-1c2d3e4f5a6b',
  TAB_CLIENT_ID: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  TAB_DOMAIN: 'backup.contoso.com',
  APP_NAME_SUFFIX: '',
};
const template = readFileSync(join(APP_PACKAGE_DIR, 'manifest.json'), 'utf8');
const filled = () => JSON.parse(fillPlaceholders(template, VALUES, new Set(['APP_NAME_SUFFIX'])));
const work = mkdtempSync(join(tmpdir(), 'apppkg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function readZip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('Teams manifest template', () => {
  it('is on schema 1.22 or later and names the matching Microsoft schema', () => {
    const manifest = JSON.parse(template);
    const [major, minor] = manifest.manifestVersion.split('.').map(Number);
    expect(major === 1 && minor >= 22).toBe(true);
    expect(manifest.$schema).toBe(
      `https://developer.microsoft.com/en-us/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`,
    );
  });

  it('takes ids and domains from toolkit placeholders, nothing hard-coded', () => {
    expect(placeholderNames(template).sort()).toEqual(
      ['APP_NAME_SUFFIX', 'BOT_APP_ID', 'TAB_CLIENT_ID', 'TAB_DOMAIN', 'TEAMS_APP_ID'].sort(),
    );
    const manifest = JSON.parse(template);
    expect(manifest.webApplicationInfo).toEqual({
      id: '${{TAB_CLIENT_ID}}',
      resource: 'api://${{TAB_DOMAIN}}/${{TAB_CLIENT_ID}}',
    });
    expect(manifest.bots[0].botId).toBe('${{BOT_APP_ID}}');
  });

  it('passes the Microsoft schema bundled in @microsoft/app-manifest once filled', async () => {
    expect(await schemaErrors(filled())).toEqual([]);
    expect(await validateManifest(filled(), APP_PACKAGE_DIR)).toEqual([]);
  });

  it('fails the schema when a value is wrong (the validator is live)', async () => {
    const manifest = filled();
    manifest.bots[0].botId = 'not-a-guid';
    manifest.accentColor = 'blue';
    const errors = await schemaErrors(manifest);
    expect(errors.some((e) => e.includes('/bots/0/botId'))).toBe(true);
    expect(errors.some((e) => e.includes('/accentColor'))).toBe(true);
  });

  it('has the bot in team, group chat and personal scopes with exactly the bot commands', () => {
    const bot = filled().bots[0];
    expect(bot.scopes.sort()).toEqual(['groupChat', 'personal', 'team']);
    for (const list of bot.commandLists) {
      expect(list.commands.map((c: { title: string }) => c.title)).toEqual([...BOT_COMMAND_TITLES]);
      expect(list.commands).toEqual(manifestCommands());
    }
    expect(bot.commandLists.flatMap((l: { scopes: string[] }) => l.scopes).sort()).toEqual([
      'groupChat',
      'personal',
      'team',
    ]);
    expect(BOT_COMMAND_TITLES).toEqual([
      'help',
      'status',
      'backup now',
      'find',
      'history',
      'restore',
      'changes',
      'approvals',
      'settings',
    ]);
    // Teams truncates long descriptions in the command menu.
    for (const command of manifestCommands()) expect(command.description.length).toBeLessThanOrEqual(128);
  });

  it('reports a command list that drifted from bot-commands.ts', () => {
    const manifest = filled();
    manifest.bots[0].commandLists[0].commands.pop();
    expect(productErrors(manifest, APP_PACKAGE_DIR).join('\n')).toMatch(
      /differ from appPackage\/bot-commands\.ts/,
    );
  });

  it('has the dashboard static tab, a configurable channel tab and SSO on the tab domain', () => {
    const manifest = filled();
    const dashboard = manifest.staticTabs.find((t: { entityId: string }) => t.entityId === 'dashboard');
    expect(new URL(dashboard.contentUrl).pathname).toBe('/tab');
    expect(dashboard.scopes).toEqual(['personal']);
    expect(manifest.configurableTabs[0].scopes).toContain('team');
    expect(manifest.configurableTabs[0].context).toContain('channelTab');
    expect(manifest.webApplicationInfo.resource).toBe(`api://${VALUES.TAB_DOMAIN}/${VALUES.TAB_CLIENT_ID}`);
    expect(manifest.validDomains).toEqual([VALUES.TAB_DOMAIN]);
  });

  it('rejects an SSO resource that does not match the tab app or domain', () => {
    const manifest = filled();
    manifest.webApplicationInfo.resource = `api://elsewhere.example/${VALUES.TAB_CLIENT_ID}`;
    expect(productErrors(manifest, APP_PACKAGE_DIR).join('\n')).toMatch(/SSO domain elsewhere\.example/);
    manifest.webApplicationInfo.resource = `api://${VALUES.TAB_DOMAIN}/${VALUES.BOT_APP_ID}`;
    expect(productErrors(manifest, APP_PACKAGE_DIR).join('\n')).toMatch(
      /must end with webApplicationInfo\.id/,
    );
  });
});

describe('icons', () => {
  const color = decodePng(readFileSync(join(APP_PACKAGE_DIR, 'color.png')));
  const outline = decodePng(readFileSync(join(APP_PACKAGE_DIR, 'outline.png')));
  const pixel = (img: typeof color, x: number, y: number) =>
    Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

  it('color.png is a 192×192 RGBA PNG with an opaque, drawn (not flat) field', () => {
    expect(readPngInfo(readFileSync(join(APP_PACKAGE_DIR, 'color.png')))).toMatchObject({
      width: 192,
      height: 192,
      colorType: 6,
    });
    expect(pixel(color, 0, 0)[3]).toBe(255);
    const distinct = new Set<string>();
    for (let i = 0; i < color.data.length; i += 4) distinct.add(color.data.subarray(i, i + 3).join(','));
    expect(distinct.size).toBeGreaterThan(50);
    // The shield (white) sits in the middle, the field (blue) at the edges.
    const [r, g, b] = pixel(color, 60, 60);
    expect(Math.min(r, g, b)).toBeGreaterThan(200);
    expect(pixel(color, 4, 96)[2]).toBeGreaterThan(pixel(color, 4, 96)[0] + 60);
  });

  it('outline.png is 32×32, white on transparent, transparent corners, visible strokes', () => {
    expect(outline.width).toBe(32);
    expect(outline.height).toBe(32);
    let opaque = 0;
    let transparent = 0;
    for (let i = 0; i < outline.data.length; i += 4) {
      if (outline.data[i + 3] === 0) transparent++;
      else expect([outline.data[i], outline.data[i + 1], outline.data[i + 2]]).toEqual([255, 255, 255]);
      if (outline.data[i + 3] === 255) opaque++;
    }
    for (const [x, y] of [
      [0, 0],
      [31, 0],
      [0, 31],
      [31, 31],
    ]) {
      expect(pixel(outline, x, y)[3]).toBe(0);
    }
    expect(transparent).toBeGreaterThan(32 * 32 * 0.5);
    expect(opaque).toBeGreaterThan(60);
  });

  it('the committed icons are exactly what draw-icons.ts draws (pixel for pixel)', () => {
    // Pixels, not PNG bytes: another zlib may compress the same pixels differently.
    expect(Buffer.from(drawColorIcon().data).equals(Buffer.from(color.data))).toBe(true);
    expect(Buffer.from(drawOutlineIcon().data).equals(Buffer.from(outline.data))).toBe(true);
  });

  it('the icon check rejects a wrong size and a coloured outline', () => {
    const bad = join(work, 'bad.png');
    writeFileSync(bad, encodePng({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(255) }));
    const manifest = filled();
    manifest.icons = { color: '../../tmp/none.png', outline: 'outline.png' };
    expect(productErrors(manifest, APP_PACKAGE_DIR).join('\n')).toMatch(/color icon .* is missing/);
    const red = new Uint8Array(32 * 32 * 4);
    red.set([255, 0, 0, 255], 0);
    writeFileSync(join(work, 'red.png'), encodePng({ width: 32, height: 32, data: red }));
    manifest.icons = { color: 'bad.png', outline: 'red.png' };
    const errors = productErrors(manifest, work).join('\n');
    expect(errors).toMatch(/color icon must be 192×192 pixels/);
    expect(errors).toMatch(/non-white pixel/);
  });
});

describe('npm run package', () => {
  it('writes appPackage.<env>.zip with the filled manifest and both icons at the root', async () => {
    const envDir = join(work, 'env');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(envDir, { recursive: true });
    writeFileSync(
      join(envDir, '.env.ci'),
      Object.entries(VALUES)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    const result = await buildAppPackage({ env: 'ci', envDir, outDir: join(work, 'build'), processEnv: {} });
    expect(result.zipPath).toBe(join(work, 'build', 'appPackage.ci.zip'));
    const entries = await readZip(result.zipPath);
    expect([...entries.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(entries.get('manifest.json')?.toString('utf8') ?? '{}');
    expect(manifest.id).toBe(VALUES.TEAMS_APP_ID);
    expect(manifest.bots[0].botId).toBe(VALUES.BOT_APP_ID);
    expect(JSON.stringify(manifest)).not.toContain('${{');
    expect(await validateManifest(manifest, APP_PACKAGE_DIR)).toEqual([]);
    expect(entries.get('color.png')?.equals(readFileSync(join(APP_PACKAGE_DIR, 'color.png')))).toBe(true);
    expect(entries.get('outline.png')?.equals(readFileSync(join(APP_PACKAGE_DIR, 'outline.png')))).toBe(true);
  });

  it('names every unset variable instead of writing a broken package', async () => {
    const error = await buildAppPackage({
      env: 'empty',
      envDir: join(work, 'no-such-dir'),
      outDir: join(work, 'build'),
      processEnv: { TAB_DOMAIN: 'x.example' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackageError);
    expect((error as Error).message).toMatch(/TEAMS_APP_ID, BOT_APP_ID, TAB_CLIENT_ID/);
  });

  it('refuses a package whose values break the schema', async () => {
    const error = await buildAppPackage({
      env: 'bad',
      envDir: join(work, 'no-such-dir'),
      outDir: join(work, 'build'),
      processEnv: { ...VALUES, BOT_APP_ID: 'my-bot' },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/\/bots\/0\/botId/);
  });
});

describe('toolkit env files', () => {
  it('parses comments, quotes, and lets the process environment win', () => {
    expect(parseEnvFile('# c\nA=1\nB="two words"\n\nC=\n')).toEqual({ A: '1', B: 'two words', C: '' });
    expect(() => parseEnvFile('not a line')).toThrow(/line 1: expected NAME=value/);
    const dir = mkdtempSync(join(work, 'envs-'));
    writeFileSync(join(dir, '.env.dev'), 'A=file\nB=file');
    writeFileSync(join(dir, '.env.dev.user'), 'SECRET_X=s');
    expect(loadToolkitEnv('dev', dir, { B: 'process' })).toEqual({ A: 'file', B: 'process', SECRET_X: 's' });
    expect(() => loadToolkitEnv('../etc', dir, {})).toThrow(/environment name/);
  });

  it('fills placeholders and allows empty only where allowed', () => {
    expect(fillPlaceholders('a${{X}}b${{ Y }}', { X: '1', Y: '2' })).toBe('a1b2');
    expect(() => fillPlaceholders('${{X}}', { X: '' })).toThrow(/unset environment variable X/);
    expect(fillPlaceholders('n${{S}}', {}, new Set(['S']))).toBe('n');
    expect(BOT_COMMANDS.length).toBeLessThanOrEqual(12); // the schema's maximum per command list
  });
});

describe('the bot and the manifest share one command list', () => {
  it("bot/command-parser.ts's commands are exactly appPackage/bot-commands.ts's titles", async () => {
    const { COMMAND_NAMES } = await import('../../bot/command-parser.ts');
    expect([...COMMAND_NAMES]).toEqual([...BOT_COMMAND_TITLES]);
  });
});
