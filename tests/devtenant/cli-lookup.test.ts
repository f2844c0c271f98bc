// `entra-backup devtenant get|mutate …` name resolution: by id, UPN, mail, exact display name, or a
// unique prefix of the display name or UPN; an ambiguous prefix fails listing the candidates and
// changes nothing. Runs the verbs in-process (commander) against a served tenant.
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/cli-deps.ts';
import { registerDevTenantCommands } from '../../src/devtenant/cli.ts';
import type { DevObject } from '../../src/devtenant/tenant-ops.ts';
import { type Fixture, startFixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ users: 60, groups: 6, largeGroupSize: 10 });
}, 60_000);
afterAll(async () => fx?.close());

/** Runs one devtenant verb in-process; returns what it printed or the error it reported. */
async function cli(
  ...args: string[]
): Promise<{ data?: unknown; error?: { code: string; message: string } }> {
  let out: { data?: unknown; error?: { code: string; message: string } } = {};
  const deps: CliDeps = {
    openRuntime: () => Promise.reject(new Error('not used')),
    output: (_json, data) => {
      out = { data };
    },
    fail: (_json, code, message) => {
      out = { error: { code, message } };
    },
  };
  const previous = process.env.DATA_DIR;
  process.env.DATA_DIR = fx.dir;
  try {
    const program = new Command().exitOverride();
    registerDevTenantCommands(program, deps);
    await program.parseAsync(['devtenant', ...args, '--json'], { from: 'user' });
  } finally {
    if (previous === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = previous;
  }
  return out;
}

const name = (r: { data?: unknown }) => (r.data as DevObject | undefined)?.data.displayName;

describe('devtenant get resolves partial names', () => {
  it('finds a user by id, UPN, mail, display name and a unique prefix of either (any case)', async () => {
    const adele = fx.dev.ops().get('user', 'Adele Vance');
    for (const key of [adele.id, 'AdeleVance@contoso.onmicrosoft.com', 'adele vance', 'adele', 'ADELEV'])
      expect(name(await cli('get', 'user', key)), key).toBe('Adele Vance');
    // By mail (any case) when it differs from the UPN.
    fx.dev.ops().set('user', 'Lee Gu', { mail: 'lee.gu@fabrikam.example' });
    expect(name(await cli('get', 'user', 'LEE.GU@fabrikam.example'))).toBe('Lee Gu');
    expect(name(await cli('get', 'group', 'all comp'))).toBe('All Company');
  });

  it('names the candidates of an ambiguous prefix and changes nothing', async () => {
    const r = await cli('mutate', 'set', 'user', 'M', 'jobTitle=Ambiguous');
    expect(r.error?.code).toBe('AmbiguousName');
    expect(r.error?.message).toMatch(/'M' matches \d+ users/);
    expect(r.error?.message).toContain('Megan Bowen <MeganBowen@contoso.onmicrosoft.com>');
    expect(r.error?.message).toContain('Miriam Graham');
    expect(fx.dev.ops().get('user', 'Megan Bowen').data.jobTitle).not.toBe('Ambiguous');
    const missing = await cli('get', 'user', 'zzz-nobody');
    expect(missing.error?.code).toBe('Request_ResourceNotFound');
    expect(missing.error?.message).toMatch(/prefixes/);
  });

  it('sets and removes a manager by name through the folded mutate verbs; the server answers it', async () => {
    const set = await cli('mutate', 'set-manager', 'adele', 'megan');
    const adele = fx.dev.ops().get('user', 'Adele Vance');
    const megan = fx.dev.ops().get('user', 'Megan Bowen');
    expect(set.data).toEqual({ id: adele.id, managerId: megan.id });
    expect((await fx.get(`/users/${adele.id}/manager`)).json.id).toBe(megan.id);
    expect((await cli('mutate', 'set-manager', 'adele', 'none')).data).toEqual({
      id: adele.id,
      managerId: null,
    });
    expect((await fx.get(`/users/${adele.id}/manager`)).status).toBe(404);
    // The other folded verbs keep their options: --state on list, --owner on add-member.
    const listed = await cli('list', 'user', '--state', 'deleted', '--limit', '5');
    expect((listed.data as { value: unknown[] }).value).toEqual([]);
    const added = await cli('mutate', 'add-member', 'all company', 'adele', '--owner');
    expect(added.data).toMatchObject({ ok: true, kind: 'owners' });
    expect(fx.dev.ops().members('group', 'All Company', 'owners')).toContain(adele.id);
  });
});
