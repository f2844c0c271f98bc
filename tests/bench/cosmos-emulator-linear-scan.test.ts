import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { linearScanCode, patchEmulatorScan } from '../../bench/lib/cosmos-emulator-linear-scan.ts';

const require = createRequire(import.meta.url);
const fromEmulator = createRequire(require.resolve('@vercel/cosmosdb-server'));
const compile = (
  fromEmulator('@zeit/cosmosdb-query') as {
    default: (sql: string) => { code: string; exec(docs: unknown[], options: unknown): unknown };
  }
).default;
const execute = (
  fromEmulator('@zeit/cosmosdb-query/lib/executor') as {
    default: (docs: unknown[], options: { code: string; parameters: unknown }) => unknown;
  }
).default;

// The store's search query shape (src/store/cosmos-store.ts listObjects).
const SEARCH =
  'SELECT TOP @n * FROM c WHERE c.tenantId = @t AND CONTAINS(c.searchText, @needle) ORDER BY c.nameLower ASC, c.objectId ASC';
const docs = Array.from({ length: 60 }, (_, i) => ({
  _rid: `r${String(i).padStart(3, '0')}`,
  tenantId: i % 3 === 0 ? 'other' : 't1',
  objectId: `id-${(i * 7) % 60}`,
  nameLower: `name ${(i * 13) % 10}`,
  searchText: `\nname ${(i * 13) % 10}\nupn${i}@contoso.com`,
}));
const parameters = [
  { name: '@n', value: 10 },
  { name: '@t', value: 't1' },
  { name: '@needle', value: 'upn1' },
];

describe('the Cosmos emulator patch of the benchmark', () => {
  it('rewrites the per-document accumulator copy and nothing else', () => {
    const code = compile(`${SEARCH} `).code;
    expect(code).toContain('[...$');
    const linear = linearScanCode(code);
    expect(linear).not.toContain('[...$');
    expect(linear).toContain('$c.filter(');
    expect(linearScanCode(linear)).toBe(linear);
  });

  it('answers every query exactly as the unpatched emulator does (items, order, continuation)', () => {
    const original = compile(`${SEARCH}  `).code;
    const before = execute(docs, { code: original, parameters });
    const after = execute(docs, { code: linearScanCode(original), parameters });
    expect(after).toEqual(before);
    expect(JSON.stringify(before)).toContain('upn1');
    patchEmulatorScan();
    patchEmulatorScan();
    expect(compile(`${SEARCH}   `).code).not.toContain('[...$');
    expect(compile(`${SEARCH}   `).exec(docs, { parameters })).toEqual(before);
  });
});
