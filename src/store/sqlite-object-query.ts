// listObjects on SQLite: filters and sort run in SQL over an index that holds the filter columns
// and the sort order, so a page is read in order and stops at `limit` (keyset continuation).
// A search term picks its plan from a capped count of its candidates (trigram index for 3+
// characters, key prefixes for 1-2):
// - few candidates (< candidateCap): fetch them by id, confirm, sort that handful;
// - more: walk a bounded stretch of the sort order reading each row (dense terms fill the page
//   here); then walk on keeping only rows of the candidate set (a semi-join answered from the
//   index, rows read only for members), for as long as it costs about what fetching the
//   candidates would; then fetch the candidates beyond that point. Matches spread along the
//   order are found by the walk; matches clustered far along it (a first name sorted by name)
//   cost at most about twice the fetch.
// Every row is confirmed on its search text, so all plans return exactly the same rows
// (tests/store/sqlite-search-plans.test.ts forces each plan).
import type { ObjectListQuery, ObjectRecord, Page } from './store.ts';
import {
  clampLimit,
  decodeContinuation,
  encodeContinuation,
  normalizeSearchTerm,
  positionString,
  StoreInputError,
  SUBSTRING_MIN_LENGTH,
  searchNeedle,
} from './store-values.ts';

type Row = Record<string, unknown>;
type Params = Record<string, unknown>;

/** The statements listObjects needs (prepared and cached by the store). */
export interface SqlReader {
  all(sql: string, params: Params): Row[];
  get(sql: string, params: Params): Row | undefined;
}

export interface SearchTuning {
  /** Under this many candidates, fetching and sorting them is cheapest. */
  candidateCap: number;
  /** Rows of the sort order checked directly (each row read) before using the candidate set. */
  walkBudget: number;
  /** Above this many candidates, walk the sort order with the candidate set to the end. */
  manyCandidates: number;
  /**
   * Index rows walked with the candidate set per candidate, before fetching the candidates
   * instead (a row of the walk costs about a tenth of a fetched candidate).
   */
  walkPerCandidate: number;
  /**
   * The same, sorted by name: there a term's matches usually cluster (a first name, a prefix),
   * so a long walk rarely reaches them before the fetch would have been done.
   */
  walkPerCandidateByName: number;
  /** At most this many trigrams of a long term are counted (spread over the term). */
  trigramsCounted: number;
}

export const DEFAULT_SEARCH_TUNING: SearchTuning = {
  candidateCap: 3000,
  walkBudget: 600,
  manyCandidates: 16_000,
  walkPerCandidate: 8,
  walkPerCandidateByName: 1,
  trigramsCounted: 12,
};

/** Sorts after every character (in SQLite's UTF-8 order too): the end of a prefix range. */
const KEY_END = '\u{10ffff}';

/** Code points of each key kept for short (1-2 character) searches. */
const KEY_PREFIX_LENGTH = 2;

/**
 * What object_keys holds for an object: the first two characters of each search key and of each
 * display-name word, once each. A short term only ever needs those, and they are few per object.
 */
export function keyPrefixesOf(keys: string[]): string[] {
  return [
    ...new Set(keys.map((k) => Array.from(k).slice(0, KEY_PREFIX_LENGTH).join('')).filter((k) => k !== '')),
  ];
}

/** Trigrams are counted up to this many rows: enough to rank them. */
const TRIGRAM_RANK_CAP = 2048;

type Sort = NonNullable<ObjectListQuery['sort']>;

const SORT_COLUMNS: Record<Sort, string[]> = {
  name: ['name_lower', 'object_id', 'object_type'],
  id: ['object_id', 'object_type'],
  lastChange: ['last_changed_at', 'object_id', 'object_type'],
};

/**
 * The index walked for a sort and filter (see migration 2 in sqlite-schema.ts), holding the type
 * and deleted flag beside the sort order; deleted-only queries walk a partial index of the
 * deleted objects alone; a type's id order is the UNIQUE index.
 */
function walkIndex(sort: Sort, typed: boolean, deletedOnly: boolean): string {
  const order = sort === 'lastChange' ? 'change' : sort;
  if (deletedOnly) return `objects_deleted_${typed ? 'type_' : ''}${order}`;
  if (typed && sort === 'id') return UNIQUE_INDEX;
  return `objects_walk_${typed ? 'type_' : ''}${order}`;
}

/** The index of objects' UNIQUE (tenant_id, object_type, object_id) constraint. */
const UNIQUE_INDEX = 'sqlite_autoindex_objects_1';

/** Distinct trigrams of the term by code point (FTS5 counts characters, not UTF-16 units), with their position. */
function trigramsOf(term: string): { trigram: string; at: number }[] {
  const chars = Array.from(term);
  const out = new Map<string, number>();
  for (let i = 0; i + 3 <= chars.length; i += 1) {
    const trigram = chars.slice(i, i + 3).join('');
    if (!out.has(trigram)) out.set(trigram, i);
  }
  return [...out].map(([trigram, at]) => ({ trigram, at }));
}

/** At most `n` items, evenly spread, first and last included. */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  if (n <= 1) return items.slice(0, 1);
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]);
}

type Candidates =
  | { kind: 'none' }
  /** No index narrows the term (fewer than three characters by code point, yet not short): read every row. */
  | { kind: 'scan' }
  /** `sql` selects candidate row ids (`id`), possibly repeated; `countSql` counts them up to @cap. */
  | { kind: 'some'; sql: string; distinctSql: string; countSql: string; params: Params };

/** Where a term's candidates come from: the key prefixes (short terms) or the trigram index. */
function candidatesOf(db: SqlReader, tenantId: string, term: string, tuning: SearchTuning): Candidates {
  if (term.length < SUBSTRING_MIN_LENGTH) {
    const where = 'tenant_id = @tenantId AND key >= @term AND key < @termEnd';
    return {
      kind: 'some',
      sql: `SELECT id FROM object_keys WHERE ${where}`,
      distinctSql: `SELECT DISTINCT id FROM object_keys WHERE ${where}`,
      countSql: `SELECT count(*) AS n FROM (SELECT 1 FROM object_keys WHERE ${where} LIMIT @cap)`,
      params: { tenantId, term, termEnd: `${term}${KEY_END}` },
    };
  }
  const trigrams = spread(trigramsOf(term), tuning.trigramsCounted);
  if (trigrams.length === 0) return { kind: 'scan' };
  // Rows per trigram (all tenants: the trigram index is shared), each counted only up to the
  // third-rarest so far. The candidate query ANDs the rarest three, ties broken by distance in
  // the term (trigrams far apart are close to independent).
  const counted: { match: string; at: number; docs: number }[] = [];
  for (const { trigram, at } of trigrams) {
    const match = `"${trigram.replace(/"/g, '""')}"`;
    const cap = counted.length >= 3 ? [...counted].sort((x, y) => x.docs - y.docs)[2].docs : TRIGRAM_RANK_CAP;
    const row = db.get(
      'SELECT count(*) AS n FROM (SELECT 1 FROM object_search WHERE object_search MATCH @match LIMIT @cap)',
      { match, cap },
    );
    const docs = Number(row?.n ?? 0);
    if (docs === 0) return { kind: 'none' };
    counted.push({ match, at, docs });
  }
  const chosen: typeof counted = [];
  const distance = (c: (typeof counted)[number]) =>
    chosen.length === 0 ? -c.at : Math.min(...chosen.map((x) => Math.abs(x.at - c.at)));
  while (chosen.length < 3 && chosen.length < counted.length) {
    const rest = counted.filter((c) => !chosen.includes(c));
    rest.sort((x, y) => x.docs - y.docs || distance(y) - distance(x));
    chosen.push(rest[0]);
  }
  const match = chosen.map((c) => c.match).join(' AND ');
  const sql = 'SELECT rowid AS id FROM object_search WHERE object_search MATCH @match';
  return {
    kind: 'some',
    sql,
    distinctSql: sql,
    countSql: `SELECT count(*) AS n FROM (${sql} LIMIT @cap)`,
    params: { match },
  };
}

/** Counts candidates, stopping at `cap`. */
function countUpTo(db: SqlReader, candidates: Extract<Candidates, { kind: 'some' }>, cap: number): number {
  return Number(db.get(candidates.countSql, { ...candidates.params, cap })?.n ?? 0);
}

/** A range condition on the keyset columns: rows after (op '>') or before ('<') a position. */
function keysetCondition(keyCols: string[], op: string, prefix: string, values: string[], params: Params) {
  keyCols.forEach((_, i) => {
    params[`${prefix}${i}`] = values[i];
  });
  return `(${keyCols.map((c) => `o.${c}`).join(', ')}) ${op} (${keyCols.map((_, i) => `@${prefix}${i}`).join(', ')})`;
}

export function listObjectsSql(
  db: SqlReader,
  tenantId: string,
  query: ObjectListQuery,
  tuning: SearchTuning = DEFAULT_SEARCH_TUNING,
): Page<ObjectRecord> {
  const limit = clampLimit(query.limit, 50, 1000);
  const sort = query.sort ?? 'name';
  const columns = SORT_COLUMNS[sort];
  if (!columns) throw new StoreInputError(`sort: '${String(sort)}' is not one of name, id, lastChange`);
  const desc = query.descending === true;
  const term = normalizeSearchTerm(query.search);
  const deleted = query.deleted ?? 'all';
  const kind = `objects:${sort}:${desc ? 'desc' : 'asc'}`;
  const token = query.continuation ? decodeContinuation(kind, query.continuation) : undefined;
  const position = token ? columns.map((_, i) => positionString(token, i)) : undefined;

  // With a type filter the type is constant: the keyset and the order leave it out, so they
  // match the typed index's column order and bound its range.
  const keyCols = query.type ? columns.filter((c) => c !== 'object_type') : columns;
  const keyValues = (values: string[]) => keyCols.map((c) => values[columns.indexOf(c)]);
  const walk = walkIndex(sort, query.type !== undefined, deleted === 'deleted');
  const indexed = `objects o INDEXED BY ${walk}`;
  const order = keyCols.map((c) => `o.${c} ${desc ? 'DESC' : 'ASC'}`).join(', ');
  const after = desc ? '<' : '>';
  const before = desc ? '>' : '<';
  const select = `SELECT o.doc, ${columns.map((c) => `o.${c}`).join(', ')}`;

  /** The filter (tenant, type, deleted, continuation) on `o`, with its parameters. */
  const filter = (params: Params, withKeyset: boolean): string => {
    const where = ['o.tenant_id = @tenantId'];
    params.tenantId = tenantId;
    if (query.type) {
      where.push('o.object_type = @type');
      params.type = query.type;
    }
    if (deleted === 'live') where.push('o.deleted = 0');
    else if (deleted === 'deleted') where.push('o.deleted = 1');
    if (withKeyset && position) where.push(keysetCondition(keyCols, after, 'k', keyValues(position), params));
    return where.join(' AND ');
  };

  const page = (rows: Row[]): Page<ObjectRecord> => {
    const more = rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    const last = items[items.length - 1];
    return {
      items: items.map((r) => JSON.parse(String(r.doc)) as ObjectRecord),
      ...(more && last
        ? {
            continuation: encodeContinuation(
              kind,
              columns.map((c) => String(last[c])),
            ),
          }
        : {}),
    };
  };

  if (!term) {
    const params: Params = { limit: limit + 1 };
    return page(
      db.all(
        `${select} FROM ${indexed} WHERE ${filter(params, true)} ORDER BY ${order} LIMIT @limit`,
        params,
      ),
    );
  }

  // Always confirmed on the search text: exact semantics whichever plan found the row.
  const confirm = 'instr(o.search_text, @needle) > 0';
  const needle = searchNeedle(term);
  const cols = (prefix: string) => columns.map((c) => `${prefix}${c}`).join(', ');

  /** The sort position of the row `skip` rows into the filtered order from `from` (inclusive), if any. */
  const positionAfter = (from: string[] | undefined, skip: number): string[] | undefined => {
    const params: Params = { skip };
    const where = [filter(params, from === undefined)];
    if (from) where.push(keysetCondition(keyCols, desc ? '<=' : '>=', 'f', keyValues(from), params));
    const row = db.get(
      `SELECT ${cols('o.')} FROM ${indexed} WHERE ${where.join(' AND ')}
       ORDER BY ${order} LIMIT 1 OFFSET @skip`,
      params,
    );
    return row ? columns.map((c) => String(row[c])) : undefined;
  };

  /**
   * Rows in [from, to) of the sort order (from = the continuation when absent), up to `max`:
   * 'read' confirms each row; 'semi-join' keeps rows of the candidate set first (index only);
   * 'fetch' reads the candidates by id and sorts those in range.
   */
  const rowsIn = (
    how: 'read' | 'semi-join' | 'fetch',
    from: string[] | undefined,
    to: string[] | undefined,
    max: number,
  ): Row[] => {
    const params: Params = { needle, limit: max };
    const where = [filter(params, from === undefined)];
    if (from) where.push(keysetCondition(keyCols, desc ? '<=' : '>=', 'f', keyValues(from), params));
    if (to) where.push(keysetCondition(keyCols, before, 't', keyValues(to), params));
    let source = indexed;
    if (how !== 'read' && candidates.kind === 'some') {
      Object.assign(params, candidates.params);
      if (how === 'semi-join') where.push(`o.id IN (${candidates.sql})`);
      else {
        source = `(${candidates.distinctSql}) AS hit CROSS JOIN objects o`;
        where.push('o.id = hit.id');
      }
    }
    where.push(confirm);
    return db.all(
      `${select} FROM ${source} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT @limit`,
      params,
    );
  };

  const candidates = candidatesOf(db, tenantId, term, tuning);
  if (candidates.kind === 'none') return { items: [] };
  if (candidates.kind === 'scan') return page(rowsIn('read', undefined, undefined, limit + 1));
  // The UNIQUE index has no deleted flag: walking it for live objects reads every row, so
  // fetching the candidates is cheaper whatever their number.
  const walkReadsRows = walk === UNIQUE_INDEX && deleted === 'live';
  const few = walkReadsRows ? 1 : countUpTo(db, candidates, tuning.candidateCap);
  if (few === 0) return { items: [] };
  if (walkReadsRows || few < tuning.candidateCap)
    return page(rowsIn('fetch', undefined, undefined, limit + 1));

  // Many candidates. A bounded stretch of the sort order first, each row read and confirmed:
  // dense terms fill the page here.
  const bound = positionAfter(undefined, tuning.walkBudget);
  const rows = rowsIn('read', undefined, bound, limit + 1);
  if (!bound || rows.length > limit) return page(rows);

  // Then the candidate set, read from the index along the sort order. With fewer than
  // `manyCandidates`, that walk is stopped once it has cost about what fetching the candidates
  // costs (matches clustered far along the sort order), and the candidates are fetched instead.
  const count = countUpTo(db, candidates, tuning.manyCandidates);
  const perCandidate = sort === 'name' ? tuning.walkPerCandidateByName : tuning.walkPerCandidate;
  const stop = count < tuning.manyCandidates ? positionAfter(bound, count * perCandidate) : undefined;
  rows.push(...rowsIn('semi-join', bound, stop, limit + 1 - rows.length));
  if (stop && rows.length <= limit) rows.push(...rowsIn('fetch', stop, undefined, limit + 1 - rows.length));
  return page(rows);
}
