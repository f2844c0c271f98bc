// listObjects on SQLite: filters and sort run in SQL over an index that holds the filter columns
// and the sort order, so a page is read in order and stops at `limit` (keyset continuation).
// A search term picks one of three plans from a capped count of its candidates:
// - few candidates: fetch them by the search index, confirm, sort that handful;
// - many candidates: first walk a bounded stretch of the sort order confirming each row (dense
//   terms fill the page here at once); if the page is not full, go on walking the sort index
//   keeping only rows of the candidate set (a semi-join read from the index alone), so no plan
//   sorts thousands of rows or reads rows that cannot match.
// Every row is confirmed on its search text, so all plans return exactly the same rows.
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
  /** Up to this many candidates, fetching and sorting them is cheapest; above, walk the sort order. */
  candidateCap: number;
  /** Rows of the sort order checked directly before switching to the candidate semi-join. */
  walkBudget: number;
  /** At most this many trigrams of a long term are counted (spread over the term). */
  trigramsCounted: number;
}

export const DEFAULT_SEARCH_TUNING: SearchTuning = {
  candidateCap: 3000,
  walkBudget: 600,
  trigramsCounted: 4,
};

type Sort = NonNullable<ObjectListQuery['sort']>;

const SORT_COLUMNS: Record<Sort, string[]> = {
  name: ['name_lower', 'object_id', 'object_type'],
  id: ['object_id', 'object_type'],
  lastChange: ['last_changed_at', 'object_id', 'object_type'],
};

/** The index walked for a sort, with or without a type filter (see migration 2 in sqlite-schema.ts). */
function walkIndex(sort: Sort, typed: boolean, deletedOnly: boolean): string {
  if (typed) return `objects_walk_type_${sort === 'lastChange' ? 'change' : sort}`;
  if (sort === 'name' && deletedOnly) return 'objects_by_state_name';
  return `objects_walk_${sort === 'lastChange' ? 'change' : sort}`;
}

/** Trigrams of the term by code point (FTS5 counts characters, not UTF-16 units). */
function trigramsOf(term: string): string[] {
  const chars = Array.from(term);
  const out = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i += 1) out.add(chars.slice(i, i + 3).join(''));
  return [...out];
}

/** At most `n` items, evenly spread, first and last included. */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  if (n <= 1) return items.slice(0, 1);
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]);
}

type Candidates =
  | { kind: 'none' }
  /** `sql` selects candidate row ids (`id`); `few` = under the cap. */
  | { kind: 'some'; few: boolean; sql: string; params: Params };

/** Where a term's candidates come from, and whether they are few, from counts capped at the cap. */
function candidatesOf(db: SqlReader, tenantId: string, term: string, tuning: SearchTuning): Candidates {
  const cap = tuning.candidateCap;
  if (Array.from(term).length < SUBSTRING_MIN_LENGTH) {
    const params = { tenantId, term, termEnd: `${term}\uffff` };
    const row = db.get(
      `SELECT count(*) AS n FROM (SELECT 1 FROM object_keys WHERE tenant_id = @tenantId AND key >= @term
         AND key < @termEnd LIMIT ${cap})`,
      params,
    );
    const n = Number(row?.n ?? 0);
    if (n === 0) return { kind: 'none' };
    return {
      kind: 'some',
      few: n < cap,
      sql: 'SELECT DISTINCT id FROM object_keys WHERE tenant_id = @tenantId AND key >= @term AND key < @termEnd',
      params,
    };
  }
  // Rows per trigram (all tenants: the trigram index is shared), each counted only up to the
  // second-rarest so far: the rarest two bound the matches and make a cheap candidate query.
  const counted: { match: string; docs: number }[] = [];
  for (const trigram of spread(trigramsOf(term), tuning.trigramsCounted)) {
    const limit = counted.length >= 2 ? counted[1].docs : cap;
    const match = `"${trigram.replace(/"/g, '""')}"`;
    const row = db.get(
      'SELECT count(*) AS n FROM (SELECT 1 FROM object_search WHERE object_search MATCH @match LIMIT @limit)',
      { match, limit },
    );
    counted.push({ match, docs: Number(row?.n ?? 0) });
    counted.sort((x, y) => x.docs - y.docs);
    if (counted[0].docs === 0) return { kind: 'none' };
  }
  return {
    kind: 'some',
    few: counted[0].docs < cap,
    sql: 'SELECT rowid AS id FROM object_search WHERE object_search MATCH @match',
    params: {
      match: counted
        .slice(0, 2)
        .map((c) => c.match)
        .join(' AND '),
    },
  };
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
  const index = walkIndex(sort, query.type !== undefined, deleted === 'deleted');
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
        `${select} FROM objects o INDEXED BY ${index} WHERE ${filter(params, true)} ORDER BY ${order} LIMIT @limit`,
        params,
      ),
    );
  }

  const candidates = candidatesOf(db, tenantId, term, tuning);
  if (candidates.kind === 'none') return { items: [] };
  // Always confirmed on the search text: exact semantics whichever plan found the row.
  const confirm = 'instr(o.search_text, @needle) > 0';
  const needle = searchNeedle(term);

  if (candidates.few) {
    const params: Params = { ...candidates.params, needle, limit: limit + 1 };
    return page(
      db.all(
        `${select} FROM (${candidates.sql}) AS hit CROSS JOIN objects o
         WHERE o.id = hit.id AND ${filter(params, true)} AND ${confirm} ORDER BY ${order} LIMIT @limit`,
        params,
      ),
    );
  }

  // Many candidates. First a bounded stretch of the sort order, each row confirmed directly.
  const boundParams: Params = { skip: tuning.walkBudget };
  const bound = db.get(
    `SELECT ${columns.map((c) => `o.${c}`).join(', ')} FROM objects o INDEXED BY ${index}
     WHERE ${filter(boundParams, true)} ORDER BY ${order} LIMIT 1 OFFSET @skip`,
    boundParams,
  );
  const walkParams: Params = { needle, limit: limit + 1 };
  const walkWhere = [filter(walkParams, true), confirm];
  const boundValues = bound ? columns.map((c) => String(bound[c])) : undefined;
  if (boundValues) walkWhere.push(keysetCondition(keyCols, before, 'b', keyValues(boundValues), walkParams));
  const walked = db.all(
    `${select} FROM objects o INDEXED BY ${index} WHERE ${walkWhere.join(' AND ')} ORDER BY ${order} LIMIT @limit`,
    walkParams,
  );
  if (!boundValues || walked.length > limit) return page(walked);

  // Sparse in this stretch: walk on from the bound keeping only candidates (read from the index).
  const restParams: Params = { ...candidates.params, needle, limit: limit + 1 - walked.length };
  const rest = db.all(
    `${select} FROM objects o INDEXED BY ${index}
     WHERE ${filter(restParams, false)} AND ${keysetCondition(keyCols, desc ? '<=' : '>=', 'b', keyValues(boundValues), restParams)}
       AND o.id IN (${candidates.sql}) AND ${confirm} ORDER BY ${order} LIMIT @limit`,
    restParams,
  );
  return page([...walked, ...rest]);
}
