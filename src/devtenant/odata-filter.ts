// A small OData $filter parser for what directory resources support (eq, ne, not, and, or,
// in, ge/le/gt/lt, startsWith, endsWith, any() over collections), compiled to SQLite over the
// object's JSON. Syntax errors and unknown properties are Graph's 400s.
import { errors } from './graph-errors.ts';

type Literal = string | number | boolean | null;

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; path: string[]; value: Literal }
  | { kind: 'in'; path: string[]; values: Literal[] }
  | { kind: 'func'; name: 'startswith' | 'endswith'; path: string[]; value: string }
  | { kind: 'any'; path: string[]; variable: string; body: FilterNode };

interface Token {
  t: 'str' | 'num' | 'word' | 'punct';
  v: string;
}

const DATE_TIME_LITERAL =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+ -]\d{2}:\d{2})?(?![\w:.])/i;

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= input.length) throw errors.badRequest('Invalid filter clause: unterminated string literal.');
        if (input[i] === "'") {
          if (input[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += input[i++];
      }
      out.push({ t: 'str', v: s });
    } else if (DATE_TIME_LITERAL.test(input.slice(i))) {
      // An unquoted DateTimeOffset (`createdDateTime ge 2025-01-01T00:00:00Z`): its ':' are not the
      // lambda separator. A '+' offset may arrive decoded as a space, as Graph tolerates.
      const v = (DATE_TIME_LITERAL.exec(input.slice(i)) as RegExpExecArray)[0];
      out.push({ t: 'word', v: v.replace(' ', '+') });
      i += v.length;
    } else if ('(),:/'.includes(c)) {
      out.push({ t: 'punct', v: c });
      i++;
    } else {
      const m = /^[A-Za-z0-9_.+\-@$#]+/.exec(input.slice(i));
      if (!m) throw errors.badRequest(`Invalid filter clause: unexpected character '${c}'.`);
      const v = m[0];
      out.push({ t: /^-?\d+(\.\d+)?$/.test(v) ? 'num' : 'word', v });
      i += v.length;
    }
  }
  return out;
}

const CMP = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.or();
    if (this.i < this.tokens.length)
      throw errors.badRequest(`Invalid filter clause: unexpected '${this.tokens[this.i].v}'.`);
    return node;
  }
  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private take(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw errors.badRequest('Invalid filter clause: unexpected end of expression.');
    return t;
  }
  private expect(v: string): void {
    const t = this.take();
    if (t.v !== v) throw errors.badRequest(`Invalid filter clause: expected '${v}' but found '${t.v}'.`);
  }
  private isWord(v: string): boolean {
    const t = this.peek();
    return t?.t === 'word' && t.v.toLowerCase() === v;
  }
  private or(): FilterNode {
    let left = this.and();
    while (this.isWord('or')) {
      this.i++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }
  private and(): FilterNode {
    let left = this.unary();
    while (this.isWord('and')) {
      this.i++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }
  private unary(): FilterNode {
    if (this.isWord('not')) {
      this.i++;
      return { kind: 'not', operand: this.unary() };
    }
    return this.primary();
  }
  private path(): string[] {
    const first = this.take();
    if (first.t !== 'word')
      throw errors.badRequest(`Invalid filter clause: expected a property but found '${first.v}'.`);
    const parts = [first.v];
    while (this.peek()?.v === '/' && this.tokens[this.i + 1]?.t === 'word') {
      const next = this.tokens[this.i + 1].v.toLowerCase();
      if (next === 'any' || next === 'all') break;
      this.i++;
      parts.push(this.take().v);
    }
    return parts;
  }
  private literal(): Literal {
    const t = this.take();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'word') {
      const w = t.v.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
      // Unquoted DateTimeOffset and GUID literals.
      if (
        /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$/i.test(t.v) ||
        /^[0-9a-f-]{36}$/i.test(t.v)
      )
        return t.v;
    }
    throw errors.badRequest(`Invalid filter clause: '${t.v}' is not a valid literal.`);
  }
  private primary(): FilterNode {
    const t = this.peek();
    if (!t) throw errors.badRequest('Invalid filter clause: unexpected end of expression.');
    if (t.v === '(') {
      this.i++;
      const node = this.or();
      this.expect(')');
      return node;
    }
    const lower = t.t === 'word' ? t.v.toLowerCase() : '';
    if ((lower === 'startswith' || lower === 'endswith') && this.tokens[this.i + 1]?.v === '(') {
      this.i += 2;
      const path = this.path();
      this.expect(',');
      const value = this.literal();
      this.expect(')');
      if (typeof value !== 'string')
        throw errors.badRequest(`Invalid filter clause: ${lower} needs a string.`);
      return { kind: 'func', name: lower, path, value };
    }
    const path = this.path();
    if (this.peek()?.v === '/' && ['any', 'all'].includes(this.tokens[this.i + 1]?.v.toLowerCase() ?? '')) {
      this.i++;
      const fn = this.take().v.toLowerCase();
      if (fn !== 'any')
        throw errors.badRequest("Invalid filter clause: only the 'any' lambda operator is supported.");
      this.expect('(');
      const variable = this.take();
      if (variable.t !== 'word') throw errors.badRequest('Invalid filter clause: lambda variable expected.');
      this.expect(':');
      const body = this.or();
      this.expect(')');
      return { kind: 'any', path, variable: variable.v, body };
    }
    const op = this.take();
    const opName = op.v.toLowerCase();
    if (opName === 'in') {
      this.expect('(');
      const values: Literal[] = [this.literal()];
      while (this.peek()?.v === ',') {
        this.i++;
        values.push(this.literal());
      }
      this.expect(')');
      return { kind: 'in', path, values };
    }
    if (!CMP.has(opName)) throw errors.badRequest(`Invalid filter clause: unknown operator '${op.v}'.`);
    return { kind: 'cmp', op: opName as 'eq', path, value: this.literal() };
  }
}

export function parseFilter(input: string): FilterNode {
  if (!input.trim()) throw errors.badRequest('Invalid filter clause: empty expression.');
  return new Parser(tokenize(input)).parse();
}

/** True when the filter uses operators Graph reserves for advanced queries (ne, not, endsWith). */
export function usesAdvancedOperators(node: FilterNode): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return usesAdvancedOperators(node.left) || usesAdvancedOperators(node.right);
    case 'not':
      return true;
    case 'cmp':
      return node.op === 'ne';
    case 'func':
      return node.name === 'endswith';
    case 'any':
      return usesAdvancedOperators(node.body);
    default:
      return false;
  }
}

/** Every top-level property the filter names. */
export function filterProperties(node: FilterNode): string[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return [...filterProperties(node.left), ...filterProperties(node.right)];
    case 'not':
      return filterProperties(node.operand);
    case 'any':
      return [node.path[0]];
    default:
      return [node.path[0]];
  }
}

/** Ids named by `id eq '…' or id eq '…'` (delta's only filter), or undefined if it is not that shape. */
export function idEqualityList(node: FilterNode): string[] | undefined {
  if (
    node.kind === 'cmp' &&
    node.op === 'eq' &&
    node.path.length === 1 &&
    node.path[0] === 'id' &&
    typeof node.value === 'string'
  )
    return [node.value];
  if (node.kind === 'or') {
    const l = idEqualityList(node.left);
    const r = idEqualityList(node.right);
    return l && r ? [...l, ...r] : undefined;
  }
  return undefined;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}(T|$)/;

function normalizeLiteral(v: Literal): Literal {
  if (typeof v === 'string' && DATE_RE.test(v) && v.length >= 10) {
    const d = new Date(v);
    if (!Number.isNaN(d.getTime()) && v.length > 10) return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const COLUMN_FOR: Record<string, string> = { id: 'o.id' };

/** Compiles to a SQL condition over `objects o` with positional params. */
export function filterToSql(
  node: FilterNode,
  params: unknown[],
  scope: { variable?: string; valueExpr?: string } = {},
): string {
  const expr = (path: string[]): string => {
    if (scope.variable && path[0] === scope.variable) {
      const rest = path.slice(1);
      return rest.length ? `json_extract(je.value, '$.${rest.join('.')}')` : 'je.value';
    }
    if (path.length === 1 && COLUMN_FOR[path[0]]) return COLUMN_FOR[path[0]];
    return `json_extract(o.data, '$.${path.join('.')}')`;
  };
  switch (node.kind) {
    case 'and':
      return `(${filterToSql(node.left, params, scope)} AND ${filterToSql(node.right, params, scope)})`;
    case 'or':
      return `(${filterToSql(node.left, params, scope)} OR ${filterToSql(node.right, params, scope)})`;
    case 'not':
      return `(NOT ${filterToSql(node.operand, params, scope)})`;
    case 'cmp': {
      const e = expr(node.path);
      const value = normalizeLiteral(node.value);
      if (value === null) return node.op === 'ne' ? `${e} IS NOT NULL` : `${e} IS NULL`;
      const sqlOp = { eq: '=', ne: '!=', gt: '>', ge: '>=', lt: '<', le: '<=' }[node.op];
      params.push(value);
      const collate = typeof value === 'string' ? ' COLLATE NOCASE' : '';
      return node.op === 'ne' ? `(${e} IS NULL OR ${e} ${sqlOp} ?${collate})` : `${e} ${sqlOp} ?${collate}`;
    }
    case 'in': {
      const e = expr(node.path);
      for (const v of node.values) params.push(normalizeLiteral(v));
      return `${e} COLLATE NOCASE IN (${node.values.map(() => '?').join(', ')})`;
    }
    case 'func': {
      const e = expr(node.path);
      params.push(node.name === 'startswith' ? `${likeEscape(node.value)}%` : `%${likeEscape(node.value)}`);
      return `${e} LIKE ? ESCAPE '\\'`;
    }
    case 'any': {
      const inner = filterToSql(node.body, params, { variable: node.variable });
      return `EXISTS (SELECT 1 FROM json_each(o.data, '$.${node.path.join('.')}') je WHERE ${inner})`;
    }
  }
}
