// Structural checks on the Bicep a compiler would otherwise make (there is no az/bicep CLI here):
// module calls against the modules' params and outputs, unused params, API versions and the enum
// values and built-in role ids checked against Microsoft's reference documentation.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bicepOutputs,
  bicepParams,
  moduleCalls,
  objectLiteralAt,
  resourceDeclarations,
  stripComments,
  unusedParams,
} from './bicep-text.ts';

const infra = resolve(import.meta.dirname, '../../infra');
const read = (path: string) => stripComments(readFileSync(join(infra, path), 'utf8'));
const files = ['main.bicep', ...readdirSync(join(infra, 'modules')).map((f) => `modules/${f}`)].filter((f) =>
  f.endsWith('.bicep'),
);
const texts = new Map(files.map((f) => [f, read(f)]));
const main = read('main.bicep');

/** The body of the one resource declared with this symbol in `file`. */
function resourceBody(file: string, symbol: string): string {
  const text = texts.get(file) ?? '';
  const at = text.search(new RegExp(`^resource\\s+${symbol}\\s`, 'm'));
  expect(at, `${file}: resource ${symbol}`).toBeGreaterThanOrEqual(0);
  return objectLiteralAt(text, at);
}

describe('module calls in infra/main.bicep', () => {
  const calls = moduleCalls(main);

  it('call modules that exist, and every module is called', () => {
    for (const call of calls) expect(files, call.symbol).toContain(call.path);
    for (const file of files.filter((f) => f.startsWith('modules/'))) {
      expect(calls.map((c) => c.path)).toContain(file);
    }
  });

  it('pass only params the module declares, and every param it declares without a default', () => {
    for (const call of calls) {
      const declared = bicepParams(read(call.path));
      const unknown = call.params.filter((p) => !declared.some((d) => d.name === p));
      const missing = declared
        .filter((d) => !d.hasDefault && !call.params.includes(d.name))
        .map((d) => d.name);
      expect({ module: call.symbol, unknown, missing }).toEqual({
        module: call.symbol,
        unknown: [],
        missing: [],
      });
    }
  });

  it('read only outputs the module declares', () => {
    const paths = new Map(calls.map((c) => [c.symbol, c.path]));
    const refs = [...main.matchAll(/\b(\w+)\.outputs\.(\w+)/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [ref, symbol, output] of refs) {
      const path = paths.get(symbol);
      expect(path, `${ref}: no module ${symbol}`).toBeDefined();
      expect(
        bicepOutputs(read(path ?? '')).map((o) => o.name),
        ref,
      ).toContain(output);
    }
  });
});

describe('every .bicep file', () => {
  it('reads every param it declares', () => {
    for (const [file, text] of texts)
      expect({ file, unused: unusedParams(text) }).toEqual({ file, unused: [] });
  });

  it('uses resource types and API versions checked against the Azure template reference', () => {
    // learn.microsoft.com/azure/templates/<provider>/<version>/<type>: each pair was looked up there.
    // A new type or version must be checked the same way before it is added here.
    const checked: Record<string, string[]> = {
      'Microsoft.ManagedIdentity/userAssignedIdentities': ['2023-01-31'],
      'Microsoft.OperationalInsights/workspaces': ['2022-10-01'],
      'Microsoft.Insights/components': ['2020-02-02'],
      'Microsoft.KeyVault/vaults': ['2023-07-01'],
      'Microsoft.KeyVault/vaults/secrets': ['2023-07-01'],
      'Microsoft.Authorization/roleAssignments': ['2022-04-01'],
      'Microsoft.DocumentDB/databaseAccounts': ['2024-05-15'],
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases': ['2024-05-15'],
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers': ['2024-05-15'],
      'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments': ['2024-05-15'],
      'Microsoft.Web/serverfarms': ['2023-12-01'],
      'Microsoft.Web/sites': ['2023-12-01'],
      'Microsoft.BotService/botServices': ['2022-09-15'],
      'Microsoft.BotService/botServices/channels': ['2022-09-15'],
    };
    const used = [...texts].flatMap(([file, text]) =>
      resourceDeclarations(text).map((r) => ({ file, ...r })),
    );
    expect(used.length).toBe(14);
    for (const r of used)
      expect(checked[r.type] ?? [], `${r.file}: ${r.type}@${r.apiVersion}`).toContain(r.apiVersion);
  });
});

describe('documented values', () => {
  it('role assignments: guid() names, the built-in role ids and their documented id formats', () => {
    const vault = texts.get('modules/keyvault.bicep') ?? '';
    // "Key Vault Secrets User" (Azure built-in roles), assigned on the vault itself.
    expect(vault).toMatch(/secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'/);
    const kvAssignment = resourceBody('modules/keyvault.bicep', 'readSecrets');
    expect(kvAssignment).toMatch(/^\s*scope: vault$/m);
    expect(kvAssignment).toMatch(/^\s*name: guid\(vault\.id, readerPrincipalId, secretsUserRoleId\)$/m);
    expect(kvAssignment).toMatch(
      /roleDefinitionId: subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', secretsUserRoleId\)/,
    );
    expect(kvAssignment).toMatch(/principalType: 'ServicePrincipal'/);

    const cosmos = texts.get('modules/cosmos.bicep') ?? '';
    // "Cosmos DB Built-in Data Contributor": a data-plane role, referenced under the account.
    expect(cosmos).toMatch(/dataContributorRoleId = '00000000-0000-0000-0000-000000000002'/);
    const sqlAssignment = resourceBody('modules/cosmos.bicep', 'dataContributor');
    expect(sqlAssignment).toMatch(/^\s*parent: account$/m);
    expect(sqlAssignment).toMatch(/^\s*name: guid\(account\.id, /m);
    expect(sqlAssignment).toMatch(
      /roleDefinitionId: '\$\{account\.id\}\/sqlRoleDefinitions\/\$\{dataContributorRoleId\}'/,
    );
    expect(sqlAssignment).toMatch(/^\s*scope: account\.id$/m);
  });

  it('enumerated properties take values the reference lists', () => {
    const insights = resourceBody('modules/monitoring.bicep', 'insights');
    expect(['web', 'other']).toContain(/Application_Type: '([^']*)'/.exec(insights)?.[1]);
    const site = resourceBody('modules/app-service.bicep', 'site');
    expect(site).toMatch(/kind: 'app,linux'/);
    expect(site).toMatch(/linuxFxVersion: 'NODE\|22-lts'/);
    expect(resourceBody('modules/app-service.bicep', 'plan')).toMatch(/reserved: true/);
    const channel = resourceBody('modules/bot.bicep', 'teams');
    expect(channel).toMatch(/^\s*name: 'MsTeamsChannel'$/m);
    expect(channel).toMatch(/channelName: 'MsTeamsChannel'/);
    expect(channel).toMatch(/properties: \{ isEnabled: true \}/);
    for (const file of ['main.bicep', 'modules/bot.bicep']) {
      const text = texts.get(file) ?? '';
      const allowed = /@allowed\(\[([^\]]*)\]\)\s*(?:@description\([^\n]*\)\s*)?param botAppType /.exec(
        text,
      )?.[1];
      const values = [...(allowed ?? '').matchAll(/'(\w+)'/g)].map((m) => m[1]);
      expect(values.length, file).toBeGreaterThan(0);
      for (const value of values) expect(['SingleTenant', 'MultiTenant', 'UserAssignedMSI']).toContain(value);
    }
  });

  it('Key Vault references use the documented VaultName/SecretName form with secrets the vault holds', () => {
    const refs = [...main.matchAll(/'@Microsoft\.KeyVault\(([^)]*)\)'/g)].map((m) => m[1]);
    expect(refs.length).toBe(3);
    const stored = topSecretNames();
    for (const ref of refs) {
      const match = /^VaultName=\$\{vault\.outputs\.name\};SecretName=([a-z0-9-]+)$/.exec(ref);
      expect(match, ref).not.toBeNull();
      expect(stored).toContain(match?.[1]);
    }
  });
});

/** Secret names main.bicep hands the Key Vault module. */
function topSecretNames(): string[] {
  const at = main.indexOf('secrets: union(');
  expect(at).toBeGreaterThan(0);
  return [...main.slice(at, main.indexOf('\n  }\n', at)).matchAll(/'([a-z0-9-]+)':/g)].map((m) => m[1]);
}
