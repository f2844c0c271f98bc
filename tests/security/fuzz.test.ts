// Property-based tests (fast-check) of the parsers that take hostile text:
// - the dev tenant's OData $filter parser and its SQL compiler: any text parses or is Graph's
//   400, never a crash; any filter built from the grammar round-trips and its SQL runs with
//   values bound as parameters (quotes, `'; DROP TABLE`, Unicode stay data);
// - $search, query options and page tokens: a value or a 400, never anything else;
// - the bot's message handling end to end (command parser → command → reply): every text gets
//   exactly one well-formed reply under Teams' 28 KB, and nothing throws.
// (The parser alone and card actions over HTTP are fuzzed in tests/bot.)
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivityHandler } from '../../bot/activity-handler.ts';
import type { ConnectorSender, OutboundMessage } from '../../bot/bot-types.ts';
import { GraphHttpError } from '../../src/devtenant/graph-errors.ts';
import { type FilterNode, filterToSql, parseFilter } from '../../src/devtenant/odata-filter.ts';
import { decodeToken, parseQuery, searchToSql } from '../../src/devtenant/odata-query.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { findPeople, type RacePeople } from './lib/approval-race-scenario.ts';

const is400 = (e: unknown) => e instanceof GraphHttpError && e.status === 400;

function sqlRuns(db: Database.Database, node: FilterNode): number {
  const params: unknown[] = [];
  const where = filterToSql(node, params);
  return db.prepare(`SELECT count(*) AS n FROM objects o WHERE ${where}`).all(...params).length;
}

function literal(v: string | number | boolean | null): string {
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  return String(v);
}

/** Prints a filter the way a client builds one (strings quoted, quotes doubled). */
function print(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${print(node.left)} ${node.kind} ${print(node.right)})`;
    case 'not':
      return `not (${print(node.operand)})`;
    case 'cmp':
      return `${node.path.join('/')} ${node.op} ${literal(node.value)}`;
    case 'in':
      return `${node.path.join('/')} in (${node.values.map(literal).join(', ')})`;
    case 'func':
      return `${node.name}(${node.path.join('/')}, ${literal(node.value)})`;
    case 'any':
      return `${node.path.join('/')}/any(${node.variable}: ${print(node.body)})`;
  }
}

const hostileText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "'; DROP TABLE objects; --",
    "' OR '1'='1",
    'x\u0000y',
    '\u202eevil',
    'ﬁ ＡＢＣ',
    '%_\\',
    "O'Brien",
  ),
);
const prop = fc.constantFrom('displayName', 'mail', 'jobTitle', 'accountEnabled', 'id', 'userPrincipalName');
const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({
    kind: fc.constant('cmp' as const),
    op: fc.constantFrom('eq' as const, 'ne' as const, 'ge' as const, 'le' as const),
    path: prop.map((p) => [p]),
    value: fc.oneof(hostileText, fc.integer({ min: -1000, max: 1000 }), fc.boolean()),
  }),
  fc.record({
    kind: fc.constant('func' as const),
    name: fc.constantFrom('startswith' as const, 'endswith' as const),
    path: prop.map((p) => [p]),
    value: hostileText,
  }),
  fc.record({
    kind: fc.constant('in' as const),
    path: prop.map((p) => [p]),
    values: fc.array(hostileText, { minLength: 1, maxLength: 4 }),
  }),
);
const filterTree: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      left: tie('node'),
      right: tie('node'),
    }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
  ),
})).node;

describe('dev tenant OData parser and SQL builder', () => {
  const db = new Database(':memory:');
  db.exec(
    'CREATE TABLE objects (id TEXT, data TEXT); INSERT INTO objects VALUES (\'1\', \'{"displayName":"O\'\'Brien","accountEnabled":true}\')',
  );

  it('any text is a filter or a 400, never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[a-z() '/:,]{0,80}$/)),
        (text) => {
          try {
            const node = parseFilter(text);
            sqlRuns(db, node);
          } catch (e) {
            if (!is400(e)) throw e;
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a filter built from the grammar round-trips, and its SQL runs with every value bound', () => {
    fc.assert(
      fc.property(filterTree, (node) => {
        const parsed = parseFilter(print(node));
        expect(print(parsed)).toBe(print(node));
        sqlRuns(db, parsed);
        // The table is still there: nothing in a value was executed.
        expect(db.prepare('SELECT count(*) AS n FROM objects').get()).toEqual({ n: 1 });
      }),
      { numRuns: 500 },
    );
  });

  it('$search, query options and page tokens: a value or a 400', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 100 }),
        fc.dictionary(
          fc.constantFrom(
            '$filter',
            '$top',
            '$select',
            '$search',
            '$orderby',
            '$count',
            '$skiptoken',
            '$expand',
            'x',
          ),
          fc.string({ maxLength: 40 }),
        ),
        (text, query) => {
          for (const run of [
            () => {
              const params: unknown[] = [];
              const sql = searchToSql(text, params, ['displayName', 'mail'], 'user');
              db.prepare(`SELECT 1 FROM objects o WHERE ${sql}`).all(...params);
            },
            () => parseQuery(new URLSearchParams(query), { consistencylevel: 'eventual' }),
            () => decodeToken(text, 'tenant', 'delta'),
          ]) {
            try {
              run();
            } catch (e) {
              if (!is400(e)) throw e;
            }
          }
        },
      ),
      { numRuns: 800 },
    );
  });
});

describe('bot message handling end to end', () => {
  let world: TestWorld;
  let people: RacePeople;
  beforeAll(async () => {
    world = await createTestWorld({ users: 12, seed: 'sec-fuzz-bot' });
    people = await findPeople(world);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const words = [
    'help',
    'status',
    'find',
    'history',
    'restore',
    'changes',
    'approvals',
    'settings',
    'backup now',
    'user',
    'group',
    'at',
    'since',
  ];
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc
      .array(fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 12 }), hostileText), { maxLength: 6 })
      .map((w) => w.join(' ')),
    fc.constantFrom(
      `restore user ${'a'.repeat(5000)}`,
      'find \u0000\u0007\u202e',
      'find %',
      'find *',
      'history group "; DROP',
      '<at>Entra Backup</at> STATUS',
    ),
  );

  it('every text gets exactly one well-formed reply under 28 KB', async () => {
    const connector: ConnectorSender = {
      send: async () => 'x',
      update: async () => undefined,
    } as unknown as ConnectorSender;
    const logic = createActivityHandler(world.ctx, connector);
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        const sent: OutboundMessage[] = [];
        const result = await logic({
          activity: {
            type: 'message',
            text: t,
            channelId: 'msteams',
            serviceUrl: 'https://smba.trafficmanager.net/emea/',
            from: { id: `29:${people.requester.objectId}`, aadObjectId: people.requester.objectId },
            recipient: { id: '28:bot' },
            conversation: { id: 'a:personal', tenantId: world.tenantId, conversationType: 'personal' },
            channelData: { tenant: { id: world.tenantId } },
          },
          send: async (m) => {
            sent.push(m);
            return 'id';
          },
          update: async () => undefined,
        });
        expect(result).toBeUndefined();
        expect(sent.length).toBe(1);
        const [m] = sent;
        expect(Boolean(m.text) || (m.attachments?.length ?? 0) > 0).toBe(true);
        for (const a of m.attachments ?? []) {
          expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
          expect(a.content.type).toBe('AdaptiveCard');
          expect(Buffer.byteLength(JSON.stringify(a.content))).toBeLessThan(28 * 1024);
        }
        // No error card: every input is a command, a usage hint or a suggestion.
        expect(JSON.stringify(m)).not.toMatch(/Something went wrong/);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
