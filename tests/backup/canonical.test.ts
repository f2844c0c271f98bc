import { describe, expect, it } from 'vitest';
import { canonicalize, contentHash } from '../../src/backup/canonical.ts';
import { diffObjects } from '../../src/backup/object-diff.ts';

describe('canonical content', () => {
  it('hashes equal for the same object whatever the key order, annotations and volatile fields', () => {
    const a = canonicalize('user', {
      id: 'u1',
      displayName: 'Adele',
      '@odata.type': '#microsoft.graph.user',
      signInActivity: { lastSignInDateTime: '2025-01-01T00:00:00Z' },
      lastPasswordChangeDateTime: '2025-01-02T00:00:00Z',
      businessPhones: [],
      jobTitle: null,
    });
    const b = canonicalize('user', {
      businessPhones: [],
      displayName: 'Adele',
      id: 'u1',
      signInActivity: { lastSignInDateTime: '2025-03-01T00:00:00Z' },
      'manager@odata.bind': 'x',
    });
    expect(contentHash(a)).toBe(contentHash(b));
    expect(Object.keys(a)).toEqual(['businessPhones', 'displayName', 'id']);
  });

  it('a real property change changes the hash', () => {
    const a = canonicalize('user', { id: 'u1', department: 'Sales' });
    const b = canonicalize('user', { id: 'u1', department: 'Finance' });
    expect(contentHash(a)).not.toBe(contentHash(b));
  });

  it('never keeps secrets', () => {
    const c = canonicalize('authenticationMethods', {
      id: 'u1/authenticationMethods',
      methods: [
        {
          id: 'm1',
          password: 'hunter2',
          secretKey: 'abc',
          temporaryAccessPass: 'TAP',
          phoneNumber: '+1 555',
        },
      ],
    });
    expect(JSON.stringify(c)).not.toMatch(/hunter2|abc|TAP/);
    expect(JSON.stringify(c)).toContain('+1 555');
  });

  it('rejects an object without an id', () => {
    expect(() => canonicalize('group', { displayName: 'x' })).toThrow(/without a string id/);
  });
});

describe('diffObjects', () => {
  it('lists changed, added and removed properties by dotted path', () => {
    const changes = diffObjects(
      { id: '1', department: 'Sales', ext: { a: 1, b: 2 }, proxyAddresses: ['x'] },
      { id: '1', department: 'Finance', ext: { a: 1, c: 3 }, proxyAddresses: ['x'], city: 'Oslo' },
    );
    expect(changes).toEqual([
      { path: 'city', before: undefined, after: 'Oslo' },
      { path: 'department', before: 'Sales', after: 'Finance' },
      { path: 'ext.b', before: 2, after: undefined },
      { path: 'ext.c', before: undefined, after: 3 },
    ]);
  });

  it('treats a creation as every property added and equal arrays as unchanged', () => {
    expect(diffObjects(null, { id: '1', a: 1 })).toEqual([
      { path: 'a', before: undefined, after: 1 },
      { path: 'id', before: undefined, after: '1' },
    ]);
    expect(diffObjects({ id: '1', l: [{ s: 1 }] }, { id: '1', l: [{ s: 1 }] })).toEqual([]);
    expect(diffObjects({ id: '1', l: [1, 2] }, { id: '1', l: [2, 1] })).toEqual([
      { path: 'l', before: [1, 2], after: [2, 1] },
    ]);
  });
});
