// The restore's pure pieces: request validation, value comparison, domain mapping, id remapping,
// the writable-property table, permissions, option flags and the CSV export.
import { describe, expect, it } from 'vitest';
import { parseOptionFlags } from '../../src/restore/cli.ts';
import { createBody, diffProperties } from '../../src/restore/object-bodies.ts';
import { missingPermission, permissionsFor } from '../../src/restore/permissions.ts';
import { parseRestoreRequest, RestoreInputError, type RestorePlan } from '../../src/restore/restore-types.ts';
import { restoreResultCsv } from '../../src/restore/result-export.ts';
import { mapDomains, remapIds, sameValue } from '../../src/restore/values.ts';
import type { RestoreRecord } from '../../src/store/store.ts';

describe('restore request validation', () => {
  it('fills option defaults and accepts a minimal request', () => {
    const r = parseRestoreRequest({
      tenantId: 't',
      objects: [{ objectType: 'user', objectId: 'u1' }],
      at: '2025-01-01T00:00:00Z',
    });
    expect(r.options).toMatchObject({
      withObject: true,
      withMemberships: true,
      blockSignIn: false,
      withAuthMethods: false,
    });
  });

  it('names each rejected field', () => {
    expect(() => parseRestoreRequest({ tenantId: 't', objects: [], at: 'x' })).toThrow(
      /objects: at least one object/,
    );
    expect(() =>
      parseRestoreRequest({ tenantId: 't', objects: [{ objectType: 'nope', objectId: 'a' }], at: 'x' }),
    ).toThrow(RestoreInputError);
    expect(() =>
      parseRestoreRequest({
        tenantId: 't',
        objects: [
          { objectType: 'user', objectId: 'a' },
          { objectType: 'user', objectId: 'b' },
        ],
        at: 'x',
        options: { asNew: { displayName: 'Copy', userPrincipalName: 'c@x.com' } },
      }),
    ).toThrow(/as new restores exactly one object/);
    expect(() =>
      parseRestoreRequest({
        tenantId: 't',
        objects: [{ objectType: 'user', objectId: 'a' }],
        at: 'x',
        options: { asNew: { displayName: 'Copy' } },
      }),
    ).toThrow(/needs a new UPN/);
    expect(() =>
      parseRestoreRequest({
        tenantId: 't',
        objects: [{ objectType: 'user', objectId: 'a' }],
        at: 'x',
        options: { bogus: 1 },
      }),
    ).toThrow(/options/);
  });
});

describe('diff and bodies', () => {
  it('treats null, absent and [] alike and patches only writable differing properties', () => {
    expect(sameValue(null, [])).toBe(true);
    expect(sameValue({ a: null, b: 1 }, { b: 1 })).toBe(true);
    const delta = diffProperties(
      'user',
      {
        id: 'u',
        displayName: 'Jane',
        jobTitle: 'CTO',
        businessPhones: [],
        proxyAddresses: ['SMTP:a@x.com'],
        createdDateTime: 'x',
      },
      {
        id: 'u',
        displayName: 'Jane',
        jobTitle: 'Intern',
        businessPhones: null,
        proxyAddresses: ['SMTP:b@x.com'],
      },
    );
    expect(delta.patch).toEqual({ jobTitle: 'CTO' });
    expect(delta.before).toEqual({ jobTitle: 'Intern' });
    expect(delta.changes.map((c) => [c.property, c.writable])).toEqual([
      ['jobTitle', true],
      ['proxyAddresses', false],
    ]);
  });

  it('never sends secrets or read-only properties in a create body', () => {
    const body = createBody('application', {
      id: 'a',
      appId: 'x',
      displayName: 'App',
      passwordCredentials: [{ keyId: 'k' }],
      keyCredentials: [{ keyId: 'c' }],
      publisherDomain: 'contoso.com',
    });
    expect(body).toEqual({ displayName: 'App' });
    const user = createBody('user', {
      id: 'u',
      displayName: 'J',
      userPrincipalName: 'j.doe@x.com',
      assignedLicenses: [{}],
    });
    expect(user).toEqual({
      displayName: 'J',
      userPrincipalName: 'j.doe@x.com',
      accountEnabled: true,
      mailNickname: 'j.doe',
    });
  });

  it('maps UPN and mail domains and remaps ids deeply', () => {
    expect(
      mapDomains(
        {
          userPrincipalName: 'a@Contoso.com',
          mail: 'a@contoso.com',
          otherMails: ['b@contoso.com', 'c@other.com'],
          city: 'x',
        },
        {
          'contoso.com': 'fabrikam.com',
        },
      ),
    ).toEqual({
      userPrincipalName: 'a@fabrikam.com',
      mail: 'a@fabrikam.com',
      otherMails: ['b@fabrikam.com', 'c@other.com'],
      city: 'x',
    });
    expect(remapIds({ a: ['old', { b: 'old' }], c: 'keep' }, { old: 'new' })).toEqual({
      a: ['new', { b: 'new' }],
      c: 'keep',
    });
  });
});

describe('permissions', () => {
  it('names the missing write permission, accepting broader grants', () => {
    expect(missingPermission(permissionsFor('create', 'user'), new Set(['User.Read.All']))).toBe(
      'User.ReadWrite.All',
    );
    expect(
      missingPermission(permissionsFor('create', 'user'), new Set(['Directory.ReadWrite.All'])),
    ).toBeUndefined();
    expect(
      missingPermission(permissionsFor('addMember', 'group'), new Set(['GroupMember.ReadWrite.All'])),
    ).toBeUndefined();
    expect(
      missingPermission(
        permissionsFor('addRoleAssignment', 'roleDefinition'),
        new Set(['Directory.ReadWrite.All']),
      ),
    ).toBe('RoleManagement.ReadWrite.Directory');
    expect(permissionsFor('skip', 'user')).toEqual([]);
  });
});

describe('CLI option flags', () => {
  it('parses booleans, as-new and domain maps, and rejects unknown names', () => {
    expect(
      parseOptionFlags([
        'blockSignIn',
        'withMemberships=false',
        'asNew=Jane Copy',
        'asNewUpn=jc@x.com',
        'domainMap=a.com:b.com,c.com:d.com',
      ]),
    ).toEqual({
      blockSignIn: true,
      withMemberships: false,
      asNew: { displayName: 'Jane Copy', userPrincipalName: 'jc@x.com' },
      domainMap: { 'a.com': 'b.com', 'c.com': 'd.com' },
    });
    expect(() => parseOptionFlags(['withWhatever'])).toThrow(/unknown restore option "withWhatever"/);
    expect(() => parseOptionFlags(['blockSignIn=maybe'])).toThrow(/expected true or false/);
  });
});

describe('result CSV', () => {
  it('has one row per step, quotes commas and neutralises formulas', () => {
    const plan: Partial<RestorePlan> = {
      planId: 'p',
      writeTenantId: 't',
      steps: [
        {
          stepId: 's001',
          kind: 'patch',
          target: { objectType: 'user', objectId: 'u', displayName: 'Doe, Jane' },
          details: {},
          expected: {},
        },
        {
          stepId: 's002',
          kind: 'skip',
          target: { objectType: 'group', objectId: 'g', displayName: '=cmd()' },
          details: {},
          expected: {},
          skipReason: 'no',
        },
      ],
    };
    const record = {
      restoreId: 'r',
      tenantId: 't',
      plan,
      stepResults: { s001: { status: 'done', at: '2025-01-01T00:00:00.000Z' } },
    } as unknown as RestoreRecord;
    const lines = restoreResultCsv(record).trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('s001,patch,user,u,"Doe, Jane",,done,,2025-01-01T00:00:00.000Z');
    expect(lines[2]).toBe("s002,skip,group,g,'=cmd(),,pending,no,");
  });
});
