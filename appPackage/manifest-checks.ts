// Validation of a filled Teams manifest: Microsoft's JSON schema (bundled in
// @microsoft/app-manifest, loaded from disk, never fetched) plus the rules the schema cannot
// express: the bot's commands, the SSO resource, valid domains and the icons.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppManifestUtils, type TeamsManifest } from '@microsoft/app-manifest';
import { manifestCommands } from './bot-commands.ts';
import { decodePng } from './icons/png.ts';

export const MIN_MANIFEST_VERSION = '1.22';

interface ManifestShape {
  $schema?: string;
  manifestVersion?: string;
  icons?: { color?: string; outline?: string };
  bots?: { botId?: string; scopes?: string[]; commandLists?: { scopes: string[]; commands: unknown[] }[] }[];
  staticTabs?: { contentUrl?: string; websiteUrl?: string }[];
  configurableTabs?: { configurationUrl?: string }[];
  validDomains?: string[];
  webApplicationInfo?: { id?: string; resource?: string };
}

function versionAtLeast(version: string, minimum: string): boolean {
  const [a1, a2] = version.split('.').map(Number);
  const [b1, b2] = minimum.split('.').map(Number);
  return a1 > b1 || (a1 === b1 && a2 >= b2);
}

/** Errors from Microsoft's schema for the manifest's own `$schema` (a bundled local copy). */
export async function schemaErrors(manifest: unknown): Promise<string[]> {
  const schemaUrl = (manifest as ManifestShape).$schema;
  if (!schemaUrl || !/\/json-schemas\/teams\/v\d+\.\d+\/MicrosoftTeams\.schema\.json$/.test(schemaUrl)) {
    return [`$schema must name a Teams manifest schema (got ${JSON.stringify(schemaUrl)})`];
  }
  return AppManifestUtils.validateAgainstSchema(manifest as TeamsManifest);
}

/** Checks an icon file: PNG of the given size; for the outline, only white pixels on transparency. */
export function iconErrors(path: string, size: number, kind: 'color' | 'outline'): string[] {
  if (!existsSync(path)) return [`${kind} icon ${path} is missing`];
  let image: ReturnType<typeof decodePng>;
  try {
    image = decodePng(readFileSync(path));
  } catch (error) {
    return [`${kind} icon ${path}: ${error instanceof Error ? error.message : String(error)}`];
  }
  if (image.width !== size || image.height !== size) {
    return [`${kind} icon must be ${size}×${size} pixels, ${path} is ${image.width}×${image.height}`];
  }
  if (kind === 'color') return [];
  const errors: string[] = [];
  let transparent = 0;
  let opaque = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    const alpha = image.data[i + 3];
    if (alpha === 0) transparent++;
    else if (image.data[i] !== 255 || image.data[i + 1] !== 255 || image.data[i + 2] !== 255) {
      errors.push(`outline icon has a non-white pixel at index ${i / 4}`);
      break;
    }
    if (alpha === 255) opaque++;
  }
  if (transparent === 0)
    errors.push('outline icon has no transparent pixel: its background must be transparent');
  if (opaque === 0) errors.push('outline icon has no opaque white pixel: nothing would be visible');
  return errors;
}

/** Rules beyond the schema. `appPackageDir` holds the icons named in the manifest. */
export function productErrors(manifest: unknown, appPackageDir: string): string[] {
  const m = manifest as ManifestShape;
  const errors: string[] = [];
  if (!m.manifestVersion || !versionAtLeast(m.manifestVersion, MIN_MANIFEST_VERSION)) {
    errors.push(`manifestVersion must be ${MIN_MANIFEST_VERSION} or later (got ${m.manifestVersion})`);
  }
  const bot = m.bots?.[0];
  if (!bot) errors.push('the manifest has no bot');
  else {
    for (const scope of ['team', 'groupChat', 'personal']) {
      if (!bot.scopes?.includes(scope)) errors.push(`the bot must be available in scope ${scope}`);
    }
    const expected = JSON.stringify(manifestCommands());
    for (const list of bot.commandLists ?? []) {
      if (JSON.stringify(list.commands) !== expected) {
        errors.push(
          `bot commands for scopes ${list.scopes.join(',')} differ from appPackage/bot-commands.ts; ` +
            `expected ${expected}`,
        );
      }
    }
    if (!bot.commandLists?.length) errors.push('the bot has no command list');
  }
  const domains = m.validDomains ?? [];
  const urls = [
    ...(m.staticTabs ?? []).flatMap((t) => [t.contentUrl, t.websiteUrl]),
    ...(m.configurableTabs ?? []).map((t) => t.configurationUrl),
  ].filter((u): u is string => Boolean(u));
  for (const url of urls) {
    const host = new URL(url).host;
    if (!domains.includes(host)) errors.push(`tab URL ${url} is on ${host}, which is not in validDomains`);
  }
  const sso = m.webApplicationInfo;
  if (!sso?.id || !sso.resource) errors.push('webApplicationInfo (id and resource) is required for tab SSO');
  else {
    const match = /^api:\/\/([^/]+)\/([0-9a-fA-F-]{36})$/.exec(sso.resource);
    if (!match)
      errors.push(`webApplicationInfo.resource must be api://<domain>/<client id> (got ${sso.resource})`);
    else {
      if (match[2].toLowerCase() !== sso.id.toLowerCase()) {
        errors.push(
          'webApplicationInfo.resource must end with webApplicationInfo.id (the tab app client id)',
        );
      }
      if (!domains.includes(match[1])) errors.push(`the SSO domain ${match[1]} must be in validDomains`);
    }
  }
  errors.push(...iconErrors(join(appPackageDir, m.icons?.color ?? 'color.png'), 192, 'color'));
  errors.push(...iconErrors(join(appPackageDir, m.icons?.outline ?? 'outline.png'), 32, 'outline'));
  return errors;
}

/** Every error: schema first, then the product's rules. Empty when the manifest is good. */
export async function validateManifest(manifest: unknown, appPackageDir: string): Promise<string[]> {
  return [...(await schemaErrors(manifest)), ...productErrors(manifest, appPackageDir)];
}
