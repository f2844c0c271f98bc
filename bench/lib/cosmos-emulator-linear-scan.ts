// The Cosmos-protocol emulator (@vercel/cosmosdb-server) compiles every query to JavaScript with
// @zeit/cosmosdb-query 0.7, whose generated code starts with
//   documents.reduce(($, c) => typeof c !== "undefined" ? [...$, { c: c }] : $, [])
// which copies the accumulator once per document: a query over n documents costs O(n²) before
// any filtering (20,000 users: ≈ 5 s a query; 5,000: 30 ms). Cosmos DB does nothing of the kind.
// This rewrites that one expression to its linear equivalent (same items, same order); the rest
// of the emulator's evaluation (WHERE, ORDER BY, TOP, continuations) is unchanged, and it still
// evaluates each query over every document of the partition. Benchmark only: imported by the
// search scenario, it patches the emulator in this process.
import { createRequire } from 'node:module';

interface CompiledQuery {
  readonly code: string;
}

const require = createRequire(import.meta.url);
// The very module instance the emulator loads (resolved from the emulator's own location).
const fromEmulator = createRequire(require.resolve('@vercel/cosmosdb-server'));
const compile = (fromEmulator('@zeit/cosmosdb-query') as { default: (sql: string) => CompiledQuery }).default;

const QUADRATIC_WRAP =
  /\$c\.reduce\(\(\$, (\w+)\) => typeof \1 !== "undefined" \? \[\.\.\.\$, \{\s*(\w+): \1\s*\}\] : \$, \[\]\)/g;

/** The generated code with the per-document accumulator copy replaced by filter + map. */
export function linearScanCode(code: string): string {
  return code.replace(
    QUADRATIC_WRAP,
    (_match, item: string, alias: string) =>
      `$c.filter((${item}) => typeof ${item} !== "undefined").map((${item}) => ({ ${alias}: ${item} }))`,
  );
}

const PATCHED = Symbol.for('entra-backup.bench.cosmos-linear-scan');

/**
 * Patches the emulator's query compiler (idempotent). Throws when the compiler no longer emits
 * the expression this rewrites (another version of @zeit/cosmosdb-query): the benchmark must
 * then say what it measures, not silently time something else.
 */
export function patchEmulatorScan(): void {
  const proto = Object.getPrototypeOf(compile('SELECT * FROM c')) as Record<symbol, unknown>;
  if (proto[PATCHED]) return;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'code');
  const original = descriptor?.get;
  if (!original) throw new Error('cosmos emulator: @zeit/cosmosdb-query has no `code` getter to patch');
  const sample = String(original.call(compile('SELECT * FROM c WHERE c.a = 1')));
  if (linearScanCode(sample) === sample)
    throw new Error(
      'cosmos emulator: the query compiler no longer emits the quadratic scan this patch rewrites',
    );
  Object.defineProperty(proto, 'code', {
    configurable: true,
    get(this: CompiledQuery) {
      return linearScanCode(String(original.call(this)));
    },
  });
  proto[PATCHED] = true;
}
