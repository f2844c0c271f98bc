// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Agents Toolkit placeholders are literal ${{NAME}} strings
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bicepContainers, CONTAINERS_JSON } from '../../infra/cosmos-containers.ts';
import { configSchema, loadConfig } from '../../src/config.ts';
import { BACKUP_APP_ROLES, RESTORE_APP_ROLES, TEAMS_CLIENT_IDS } from '../../src/devtenant/app-registry.ts';
import { CONSENT_CALLBACK_PATH, SIGNIN_CALLBACK_PATH } from '../../src/tab-api/public-url.ts';
import {
  bicepOutputs,
  bicepParams,
  callAt,
  literal,
  objectLiteralAt,
  settingEntries,
  stripComments,
} from './bicep-text.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const main = stripComments(read('infra/main.bicep'));
const appService = stripComments(read('infra/modules/app-service.bicep'));
const configVars = Object.keys(configSchema.shape).sort();
const placeholders = (text: string) => [...text.matchAll(/\$\{\{\s*([A-Z0-9_]+)\s*\}\}/g)].map((m) => m[1]);
const envDevKeys = new Set(
  read('env/.env.dev')
    .split('\n')
    .map((l) => /^([A-Z0-9_]+)=/.exec(l)?.[1])
    .filter((k): k is string => Boolean(k)),
);

function roleSettings(moduleName: 'web' | 'worker'): Map<string, string> {
  const shared = settingEntries(callAt(main, main.indexOf('var sharedSettings = union')));
  const start = main.indexOf(`module ${moduleName} 'modules/app-service.bicep'`);
  expect(start).toBeGreaterThan(0);
  const own = settingEntries(objectLiteralAt(main, main.indexOf('settings: union(sharedSettings,', start)));
  return new Map([...shared, ...own]);
}

/** The environment App Service gives the app: literals as written, expressions as realistic values. */
function environmentOf(settings: Map<string, string>): Record<string, string> {
  const sample: Record<string, string> = {
    PUBLIC_URL: 'https://entrabk1-web.azurewebsites.net',
    COSMOS_ENDPOINT: 'https://entrabk1-cosmos.documents.azure.com:443/',
    TAB_DOMAIN: 'entrabk1-web.azurewebsites.net',
  };
  const env: Record<string, string> = {};
  for (const [key, value] of settings) {
    // A bare parameter name takes that parameter's default, as a deployment without an override would.
    const paramDefault = new RegExp(`^param ${value} string = '([^']*)'$`, 'm').exec(main)?.[1];
    env[key] = literal(value) ?? paramDefault ?? sample[key] ?? `value-of-${key}`;
  }
  return env;
}

/** Steps of m365agents.yml in order: `uses` and the env names its writeToEnvironmentFile writes. */
function toolkitSteps(text: string): { uses: string; writes: string[]; body: string }[] {
  const chunks = text.split(/\n\s*- uses: /).slice(1);
  return chunks.map((chunk) => {
    const uses = chunk.split(/\s/)[0];
    const writesBlock = /writeToEnvironmentFile:\n((?:\s{6,}\w+: [A-Z0-9_]+\n?)+)/.exec(chunk)?.[1] ?? '';
    const writes = [...writesBlock.matchAll(/\w+: ([A-Z0-9_]+)/g)].map((m) => m[1]);
    return { uses, writes, body: chunk };
  });
}

describe('app settings in infra/main.bicep', () => {
  const web = roleSettings('web');
  const worker = roleSettings('worker');

  it('are all variables src/config.ts reads', () => {
    for (const settings of [web, worker]) {
      const unknown = [...settings.keys()].filter((k) => !configVars.includes(k));
      expect(unknown).toEqual([]);
    }
    expect([...web.keys()]).toEqual(
      expect.arrayContaining([
        'ROLE',
        'PUBLIC_URL',
        'COSMOS_ENDPOINT',
        'COSMOS_DATABASE',
        'AZURE_CLIENT_ID',
        'BACKUP_CLIENT_ID',
        'BACKUP_CLIENT_SECRET',
        'RESTORE_CLIENT_ID',
        'RESTORE_CLIENT_SECRET',
        'BOT_APP_ID',
        'BOT_APP_PASSWORD',
        'BOT_TENANT_ID',
        'TAB_CLIENT_ID',
        'TAB_DOMAIN',
        'HOST',
        'PORT',
      ]),
    );
  });

  it('give each role a configuration the app accepts, in its role, and only the worker schedules', () => {
    const webConfig = loadConfig(environmentOf(web));
    const workerConfig = loadConfig(environmentOf(worker));
    expect(webConfig.ROLE).toBe('web');
    expect(workerConfig.ROLE).toBe('worker');
    expect(webConfig.SCHEDULER_ENABLED).toBe(false);
    expect(workerConfig.SCHEDULER_ENABLED).toBe(true);
    expect(webConfig.NODE_ENV).toBe('production');
    expect(webConfig.HOST).toBe('0.0.0.0');
    expect(main).toMatch(/startupCommand: 'node bin\/entra-backup\.js serve --role web'/);
    expect(main).toMatch(/startupCommand: 'node bin\/entra-backup\.js serve --role worker'/);
  });

  it('hold no key or secret: secrets are Key Vault references, Cosmos goes through the identity', () => {
    for (const settings of [web, worker]) {
      expect(settings.has('COSMOS_KEY')).toBe(false);
      for (const key of ['BACKUP_CLIENT_SECRET', 'RESTORE_CLIENT_SECRET', 'BOT_APP_PASSWORD']) {
        expect(settings.get(key)).toMatch(
          /^'@Microsoft\.KeyVault\(VaultName=\$\{vault\.outputs\.name\};SecretName=/,
        );
      }
    }
    const secure = bicepParams(main)
      .filter((p) => p.secure)
      .map((p) => p.name);
    expect(secure.sort()).toEqual(['backupClientSecret', 'botAppPassword', 'restoreClientSecret']);
    const settingsText = callAt(main, main.indexOf('var sharedSettings = union'));
    for (const name of secure) expect(settingsText).not.toContain(name);
    expect(read('infra/modules/cosmos.bicep')).toMatch(/disableLocalAuth: true/);
    expect(read('infra/modules/app-service.bicep')).toMatch(/keyVaultReferenceIdentity: identityId/);
  });

  it('add only the platform settings App Service itself reads, documented in DEPLOY.md', () => {
    const platform = settingEntries(objectLiteralAt(appService, appService.indexOf('var platformSettings')));
    expect([...platform.keys()].sort()).toEqual([
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'ApplicationInsightsAgent_EXTENSION_VERSION',
      'SCM_DO_BUILD_DURING_DEPLOYMENT',
    ]);
    const deploy = read('docs/DEPLOY.md');
    for (const key of platform.keys()) {
      expect(configVars).not.toContain(key);
      expect(deploy).toContain(`\`${key}\``);
    }
  });
});

describe('parameters and outputs', () => {
  const params = bicepParams(main);
  const parameterFile = JSON.parse(read('infra/main.parameters.json')) as {
    parameters: Record<string, { value: string }>;
  };
  const steps = toolkitSteps(read('m365agents.yml'));
  const armIndex = steps.findIndex((s) => s.uses === 'arm/deploy');
  const writtenBeforeArm = new Set(steps.slice(0, armIndex).flatMap((s) => s.writes));

  it('main.parameters.json sets declared params only, and every param without a default', () => {
    const declared = params.map((p) => p.name);
    for (const name of Object.keys(parameterFile.parameters)) expect(declared).toContain(name);
    for (const p of params.filter((p) => !p.hasDefault))
      expect(Object.keys(parameterFile.parameters)).toContain(p.name);
  });

  it('feeds secure params from SECRET_ variables only, and every placeholder is known before arm/deploy', () => {
    for (const p of params) {
      const value = parameterFile.parameters[p.name]?.value;
      if (!value) continue;
      const [name] = placeholders(value);
      expect(name, `${p.name} comes from one toolkit variable`).toBeDefined();
      expect(name.startsWith('SECRET_'), `${p.name} secure=${p.secure} fed by ${name}`).toBe(p.secure);
      expect(
        envDevKeys.has(name) || writtenBeforeArm.has(name),
        `${name} is in env/.env.dev or written by a step before arm/deploy`,
      ).toBe(true);
    }
  });

  it('declares outputs the toolkit writes to env/.env.<env> and the app or the deploy steps use', () => {
    const used = new Set([
      ...placeholders(read('m365agents.yml')),
      ...placeholders(read('appPackage/manifest.json')),
      ...placeholders(read('infra/entra/tab-sso.aad.manifest.json')),
      ...placeholders(read('infra/entra/backup-app.aad.manifest.json')),
    ]);
    const outputs = bicepOutputs(main);
    expect(outputs.length).toBeGreaterThan(5);
    const webSettings = roleSettings('web');
    for (const { name, type } of outputs) {
      expect(type).toBe('string');
      expect(envDevKeys.has(name), `${name} has a line in env/.env.dev`).toBe(true);
      const isAppVariable = configVars.includes(name);
      expect(
        isAppVariable || used.has(name) || name === 'KEY_VAULT_NAME' || name === 'BOT_RESOURCE_NAME',
      ).toBe(true);
      // An output named like an app variable is the value the web role is given.
      if (isAppVariable) expect(webSettings.has(name), `web role sets ${name}`).toBe(true);
    }
    expect(outputs.map((o) => o.name)).toEqual(
      expect.arrayContaining(['WEB_APP_RESOURCE_ID', 'WORKER_APP_RESOURCE_ID', 'TAB_DOMAIN']),
    );
  });
});

describe('m365agents.yml', () => {
  const text = read('m365agents.yml');
  const steps = toolkitSteps(text);

  it('provisions the four app registrations, Azure, and the Teams app, then deploys both roles', () => {
    const uses = steps.map((s) => s.uses);
    expect(uses.filter((u) => u === 'aadApp/create')).toHaveLength(4);
    expect(uses.indexOf('arm/deploy')).toBeGreaterThan(uses.lastIndexOf('aadApp/create'));
    expect(uses.indexOf('aadApp/update')).toBeGreaterThan(uses.indexOf('arm/deploy'));
    expect(uses).toEqual(
      expect.arrayContaining(['teamsApp/create', 'teamsApp/zipAppPackage', 'teamsApp/update']),
    );
    const writes = steps.flatMap((s) => s.writes);
    for (const name of [
      'TEAMS_APP_ID',
      'TAB_CLIENT_ID',
      'BOT_APP_ID',
      'BACKUP_CLIENT_ID',
      'RESTORE_CLIENT_ID',
    ]) {
      expect(writes).toContain(name);
    }
    const deployTargets = steps.filter((s) => s.uses === 'azureAppService/zipDeploy').map((s) => s.body);
    expect(deployTargets.some((b) => b.includes('${{WEB_APP_RESOURCE_ID}}'))).toBe(true);
    expect(deployTargets.some((b) => b.includes('${{WORKER_APP_RESOURCE_ID}}'))).toBe(true);
  });

  it('references files that exist', () => {
    const paths = [...text.matchAll(/(?:path|parameters|manifestPath|ignoreFile): (\.?\/?[\w./-]+)/g)].map(
      (m) => m[1],
    );
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) expect(existsSync(join(root, path)), path).toBe(true);
  });

  it('uses only variables that env/.env.dev, a provision step or the toolkit itself defines', () => {
    const builtIn = new Set(['TEAMSFX_ENV', 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP_NAME']);
    const written = new Set(steps.flatMap((s) => s.writes));
    const outputs = new Set(bicepOutputs(main).map((o) => o.name));
    const files = [
      'm365agents.yml',
      'appPackage/manifest.json',
      'infra/main.parameters.json',
      'infra/entra/tab-sso.aad.manifest.json',
      'infra/entra/backup-app.aad.manifest.json',
      'infra/entra/restore-app.aad.manifest.json',
    ];
    for (const file of files) {
      for (const name of placeholders(read(file))) {
        const known = builtIn.has(name) || written.has(name) || outputs.has(name) || envDevKeys.has(name);
        expect(known, `${name} (in ${file})`).toBe(true);
      }
    }
  });
});

describe('Entra app registrations', () => {
  const manifest = (name: string) => JSON.parse(read(`infra/entra/${name}.aad.manifest.json`));
  const roles = (m: { requiredResourceAccess: { resourceAccess: { id: string; type: string }[] }[] }) =>
    m.requiredResourceAccess.flatMap((r) =>
      r.resourceAccess.filter((a) => a.type === 'Role').map((a) => a.id),
    );

  it('backup app: exactly the read-only permissions the dev tenant grants, multi-tenant, consent callback', () => {
    const backup = manifest('backup-app');
    expect(roles(backup).sort()).toEqual([...BACKUP_APP_ROLES].sort());
    expect(roles(backup).filter((r) => /ReadWrite|DeleteRestore/.test(r))).toEqual([]);
    expect(backup.signInAudience).toBe('AzureADMultipleOrgs');
    expect(backup.replyUrlsWithType).toContainEqual({
      url: `https://\${{TAB_DOMAIN}}${CONSENT_CALLBACK_PATH}`,
      type: 'Web',
    });
  });

  it('restore app: the write permissions restores need, consented separately', () => {
    const restore = manifest('restore-app');
    expect(roles(restore).sort()).toEqual([...RESTORE_APP_ROLES].sort());
    expect(restore.appId).toBe('${{RESTORE_CLIENT_ID}}');
    expect(restore.replyUrlsWithType[0].url).toBe(`https://\${{TAB_DOMAIN}}${CONSENT_CALLBACK_PATH}`);
  });

  it('tab SSO app: api://<domain>/<id>, access_as_user, Teams clients pre-authorized, v2 tokens', () => {
    const tab = manifest('tab-sso');
    expect(tab.identifierUris).toEqual(['api://${{TAB_DOMAIN}}/${{TAB_CLIENT_ID}}']);
    expect(tab.accessTokenAcceptedVersion).toBe(2);
    expect(tab.oauth2Permissions.map((p: { value: string }) => p.value)).toEqual(['access_as_user']);
    expect(tab.preAuthorizedApplications.map((a: { appId: string }) => a.appId).sort()).toEqual(
      [...TEAMS_CLIENT_IDS].sort(),
    );
    expect(tab.replyUrlsWithType).toContainEqual({
      url: `https://\${{TAB_DOMAIN}}${SIGNIN_CALLBACK_PATH}`,
      type: 'InstalledClient',
    });
  });

  it('infra/entra-apps.md lists every permission of both apps', () => {
    const doc = read('infra/entra-apps.md');
    for (const role of [...BACKUP_APP_ROLES, ...RESTORE_APP_ROLES]) expect(doc).toContain(`\`${role}\``);
  });
});

describe('Cosmos DB containers', () => {
  it('are generated from the store definition (partition keys and composite indexes)', () => {
    expect(JSON.parse(readFileSync(CONTAINERS_JSON, 'utf8'))).toEqual(bicepContainers());
    expect(read('infra/modules/cosmos.bicep')).toContain("loadJsonContent('../cosmos-containers.json')");
  });

  it('partition as the design says: tenant for small records, object for versions and edges', () => {
    const keys = Object.fromEntries(bicepContainers().map((c) => [c.name, c.partitionKeyPaths]));
    expect(keys).toEqual({
      settings: ['/tenantId'],
      objects: ['/tenantId'],
      versions: ['/objectKey'],
      edges: ['/objectKey'],
      runs: ['/tenantId'],
      restores: ['/tenantId'],
      audit: ['/tenantId'],
    });
  });

  it('capacity is serverless or autoscale by parameter', () => {
    const cosmos = read('infra/modules/cosmos.bicep');
    expect(cosmos).toMatch(/EnableServerless/);
    expect(cosmos).toMatch(/autoscaleSettings: \{ maxThroughput: autoscaleMaxThroughput \}/);
    expect(bicepParams(main).find((p) => p.name === 'cosmosCapacityMode')?.hasDefault).toBe(true);
  });
});

describe('every variable the app reads is documented', () => {
  it('in .env.example, each with a comment, and nothing else', () => {
    const lines = read('.env.example').split('\n');
    const documented: string[] = [];
    for (const [index, line] of lines.entries()) {
      const name = /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
      if (!name) continue;
      documented.push(name);
      expect(lines[index - 1]?.startsWith('#'), `${name} has a comment above it`).toBe(true);
    }
    expect(documented.sort()).toEqual(configVars);
  });

  it("in docs/DEPLOY.md's table, and nothing else", () => {
    const rows = [...read('docs/DEPLOY.md').matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]);
    expect([...new Set(rows)].sort()).toEqual(configVars);
  });
});
