/**
 * Row predicates: a SQL boolean expression in DuckDB's dialect (`--where`), parsed by DuckDB's own
 * parser and turned into a small typed IR that lake evaluates itself, on Arrow record batches
 * (predicate-eval.ts) and on per-file statistics (predicate-prune.ts). The IR is format-neutral:
 * Delta and Iceberg both bind it to their Arrow schema (predicate-bind.ts).
 *
 * Parsing: `SELECT json_serialize_sql('SELECT * FROM t WHERE ' || $1)` with the expression bound
 * as a parameter gives the parse tree as JSON; the statement must be exactly `SELECT * FROM t
 * WHERE <expression>` (no second statement, GROUP BY, ORDER BY, LIMIT, UNION, …). Syntax errors are
 * UsageErrors with DuckDB's message; constructs lake does not evaluate are LakeError
 * 'UNSUPPORTED_PREDICATE' naming them (a condition is never silently dropped).
 *
 * Supported: column references (`a`, `"Quoted Name"`, nested struct fields `a.b.c`); literals
 * (integers of any size, decimals, doubles, strings, booleans, NULL, `DATE '…'`, `TIMESTAMP '…'`,
 * `TIMESTAMPTZ '…'`, casts of literals such as `'5'::INT`, unary minus); comparisons
 * `= <> != < <= > >=`; `IS [NOT] DISTINCT FROM`; AND, OR, NOT; `IS [NOT] NULL`; `[NOT] IN (list)`;
 * `[NOT] BETWEEN`; `[NOT] LIKE` / `[NOT] ILIKE` with optional `ESCAPE`; a boolean column (or
 * constant) as a condition. Not supported: arithmetic, function calls, casts of columns,
 * subqueries, CASE, COLLATE.
 */
import { LakeError, UsageError } from '../errors.js';
import { formatDate, formatTimestamp } from './json-values.js';
import { isJsonObject, JsonNumber, jsonField, parseExactJson, type ExactJson } from './predicate-json.js';
import {
  MICROS_PER_DAY,
  parseBlobText,
  parseBooleanText,
  parseDateText,
  parseDecimalText,
  parseDoubleText,
  parseTimestampText,
  floorDiv,
  rescale,
} from './predicate-values.js';

// ---------------------------------------------------------------------------------------------
// The IR
// ---------------------------------------------------------------------------------------------

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

/**
 * A literal value. `string` is an untyped string literal (`'2021-01-01'`): like DuckDB's
 * STRING_LITERAL it takes the type of what it is compared with. Typed literals come from numbers
 * in the SQL and from casts (`DATE '…'`, `'…'::TIMESTAMP`).
 */
export type Literal =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  /** Any integer literal (TINYINT … HUGEINT). */
  | { readonly type: 'integer'; readonly value: bigint }
  /** An exact decimal: unscaled × 10^-scale. */
  | { readonly type: 'decimal'; readonly unscaled: bigint; readonly scale: number }
  /** DOUBLE, or FLOAT when `single` (the value already rounded to 32 bits). */
  | { readonly type: 'float'; readonly value: number; readonly single?: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'binary'; readonly value: Uint8Array }
  /** Days since 1970-01-01. */
  | { readonly type: 'date'; readonly days: number }
  /** Microseconds since the epoch; `utc` for TIMESTAMPTZ. */
  | { readonly type: 'timestamp'; readonly micros: bigint; readonly utc: boolean };

export type Operand =
  /** A column: a top-level name, then struct field names. Resolved (case-insensitively) when bound. */
  | { readonly kind: 'column'; readonly path: readonly string[] }
  | { readonly kind: 'literal'; readonly literal: Literal };

export type Predicate =
  | { readonly kind: 'constant'; readonly value: boolean | null }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Operand; readonly right: Operand }
  /**
   * `operand IN (list)`. Kept apart from ORed comparisons because DuckDB compares all of them in
   * one common type (`date_col IN ('2021-01-01 10:00', TIMESTAMP '…')` compares timestamps).
   */
  | { readonly kind: 'in'; readonly operand: Operand; readonly list: readonly Operand[] }
  /** `operand BETWEEN low AND high`, in the common type of the three (as IN). */
  | { readonly kind: 'between'; readonly operand: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'isNull'; readonly operand: Operand }
  /** SQL LIKE: `%` any sequence, `_` one character, `escape` (one character) quotes the next. */
  | {
      readonly kind: 'like';
      readonly operand: Operand;
      readonly pattern: string;
      readonly escape?: string;
      readonly caseInsensitive: boolean;
    }
  | { readonly kind: 'and'; readonly children: readonly Predicate[] }
  | { readonly kind: 'or'; readonly children: readonly Predicate[] }
  | { readonly kind: 'not'; readonly child: Predicate };

export const column = (...path: string[]): Operand => ({ kind: 'column', path });
export const literal = (value: Literal): Operand => ({ kind: 'literal', literal: value });

/** The columns (paths) a predicate reads, each once, in order of first use. */
export function predicateColumns(predicate: Predicate): (readonly string[])[] {
  const seen = new Map<string, readonly string[]>();
  const operand = (o: Operand): void => {
    if (o.kind === 'column') {
      const key = JSON.stringify(o.path);
      if (!seen.has(key)) seen.set(key, o.path);
    }
  };
  const visit = (p: Predicate): void => {
    switch (p.kind) {
      case 'compare':
        operand(p.left);
        operand(p.right);
        break;
      case 'isNull':
      case 'like':
        operand(p.operand);
        break;
      case 'in':
        operand(p.operand);
        p.list.forEach(operand);
        break;
      case 'between':
        operand(p.operand);
        operand(p.low);
        operand(p.high);
        break;
      case 'and':
      case 'or':
        p.children.forEach(visit);
        break;
      case 'not':
        visit(p.child);
        break;
      case 'constant':
        break;
    }
  };
  visit(predicate);
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------
// Parsing with DuckDB
// ---------------------------------------------------------------------------------------------

const PREFIX = 'SELECT * FROM t WHERE ';

type Connection = { runAndReadAll(sql: string, values?: unknown[]): Promise<{ getRows(): unknown[][] }> };
let connection: Promise<Connection> | undefined;

async function duckdb(): Promise<Connection> {
  connection ??= (async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    return (await instance.connect()) as unknown as Connection;
  })();
  try {
    return await connection;
  } catch (error) {
    connection = undefined;
    throw new LakeError('DUCKDB_UNAVAILABLE', `DuckDB, which lake uses to parse SQL predicates, could not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The parse tree DuckDB gives for `SELECT * FROM t WHERE <sql>`, checked to be only that. */
async function serialize(sql: string): Promise<ExactJson> {
  const con = await duckdb();
  const result = await con.runAndReadAll(`SELECT json_serialize_sql('${PREFIX}' || $1)`, [sql]);
  const text = result.getRows()[0]?.[0];
  if (typeof text !== 'string') throw new LakeError('INTERNAL', 'DuckDB returned no parse tree for the predicate');
  return parseExactJson(text);
}

let skeleton: string | undefined;

/**
 * Parses a SQL boolean expression into the IR. Errors: UsageError for syntax errors (DuckDB's
 * message) and for anything that is not a single expression; LakeError 'UNSUPPORTED_PREDICATE'
 * for constructs lake cannot evaluate.
 */
export async function parsePredicate(sql: string): Promise<Predicate> {
  if (sql.trim() === '') throw new UsageError('the --where condition is empty: give a SQL boolean expression such as id > 10');
  const tree = await serialize(sql);
  if (jsonField(tree, 'error') === true && jsonField(tree, 'error_type') !== 'parser') {
    // e.g. "Only SELECT statements can be serialized" for `x = 1; DROP TABLE t`.
    throw new UsageError(`the condition ${JSON.stringify(sql)} must be one SQL boolean expression (no other clauses or statements)`);
  }
  if (jsonField(tree, 'error') === true) {
    const message = jsonField(tree, 'error_message');
    const position = jsonField(tree, 'position');
    const at = typeof position === 'string' && /^\d+$/.test(position) ? Number(position) - PREFIX.length : undefined;
    throw new UsageError(
      `the condition ${JSON.stringify(sql)} is not valid SQL: ${typeof message === 'string' ? message : 'DuckDB cannot parse it'}${
        at !== undefined && at >= 0 ? ` (at character ${at + 1})` : ''
      }`,
    );
  }
  const statements = jsonField(tree, 'statements');
  const node = Array.isArray(statements) && statements.length === 1 ? jsonField(statements[0] as ExactJson, 'node') : undefined;
  const where = jsonField(node, 'where_clause');
  skeleton ??= shape(jsonField((jsonField(await serialize('TRUE'), 'statements') as ExactJson[])[0], 'node'));
  if (!isJsonObject(node) || !isJsonObject(where) || shape(node) !== skeleton) {
    throw new UsageError(`the condition ${JSON.stringify(sql)} must be one SQL boolean expression (no other clauses or statements)`);
  }
  return new AstReader(sql).predicate(where);
}

/** A statement's JSON without its WHERE clause and source positions, to compare shapes. */
function shape(node: ExactJson | undefined): string {
  const strip = (value: ExactJson): unknown => {
    if (value instanceof JsonNumber) return value.text;
    if (Array.isArray(value)) return value.map(strip);
    if (!isJsonObject(value)) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'query_location' && key !== 'where_clause')
        .map(([key, item]) => [key, strip(item)]),
    );
  };
  return JSON.stringify(node === undefined ? null : strip(node));
}

type Node = { readonly [key: string]: ExactJson };

const COMPARISONS: Readonly<Record<string, CompareOp>> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '<>',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
};

const LIKE_FUNCTIONS: Readonly<Record<string, { negated: boolean; caseInsensitive: boolean; escaped: boolean }>> = {
  '~~': { negated: false, caseInsensitive: false, escaped: false },
  '!~~': { negated: true, caseInsensitive: false, escaped: false },
  '~~*': { negated: false, caseInsensitive: true, escaped: false },
  '!~~*': { negated: true, caseInsensitive: true, escaped: false },
  like_escape: { negated: false, caseInsensitive: false, escaped: true },
  not_like_escape: { negated: true, caseInsensitive: false, escaped: true },
  ilike_escape: { negated: false, caseInsensitive: true, escaped: true },
  not_ilike_escape: { negated: true, caseInsensitive: true, escaped: true },
};

/** Converts DuckDB's serialized expressions (ParsedExpression JSON) into the IR. */
class AstReader {
  constructor(private readonly sql: string) {}

  predicate(node: ExactJson): Predicate {
    const n = this.node(node);
    const type = n['type'];
    const klass = n['class'];
    switch (klass) {
      case 'CONJUNCTION': {
        const children = this.children(n).map((child) => this.predicate(child));
        if (type === 'CONJUNCTION_AND') return { kind: 'and', children };
        if (type === 'CONJUNCTION_OR') return { kind: 'or', children };
        break;
      }
      case 'COMPARISON': {
        const left = this.operand(n['left']);
        const right = this.operand(n['right']);
        const op = COMPARISONS[String(type)];
        if (op !== undefined) return { kind: 'compare', op, left, right };
        if (type === 'COMPARE_NOT_DISTINCT_FROM') return notDistinct(left, right);
        if (type === 'COMPARE_DISTINCT_FROM') return { kind: 'not', child: notDistinct(left, right) };
        break;
      }
      case 'OPERATOR': {
        const children = this.children(n);
        switch (type) {
          case 'OPERATOR_NOT':
            return { kind: 'not', child: this.predicate(this.only(children, n)) };
          case 'OPERATOR_IS_NULL':
            return { kind: 'isNull', operand: this.operand(this.only(children, n)) };
          case 'OPERATOR_IS_NOT_NULL':
            return { kind: 'not', child: { kind: 'isNull', operand: this.operand(this.only(children, n)) } };
          case 'COMPARE_IN':
          case 'COMPARE_NOT_IN': {
            const [first, ...list] = children;
            const any: Predicate = { kind: 'in', operand: this.operand(first), list: list.map((item) => this.operand(item)) };
            return type === 'COMPARE_IN' ? any : { kind: 'not', child: any };
          }
        }
        break;
      }
      case 'BETWEEN':
        return { kind: 'between', operand: this.operand(n['input']), low: this.operand(n['lower']), high: this.operand(n['upper']) };
      case 'FUNCTION': {
        const name = n['function_name'];
        const like = typeof name === 'string' && Object.prototype.hasOwnProperty.call(LIKE_FUNCTIONS, name) ? LIKE_FUNCTIONS[name] : undefined;
        if (like !== undefined) return this.like(n, like);
        break;
      }
      case 'COLUMN_REF':
        // A column as a condition: `WHERE flag` is `flag = TRUE` (the binder checks it is boolean).
        return { kind: 'compare', op: '=', left: this.operand(n), right: literal({ type: 'boolean', value: true }) };
      case 'CONSTANT':
      case 'CAST': {
        const operand = this.operand(n);
        if (operand.kind === 'literal') {
          const value = castLiteral(operand.literal, 'BOOLEAN', undefined);
          if (value.type === 'null') return { kind: 'constant', value: null };
          if (value.type === 'boolean') return { kind: 'constant', value: value.value };
        }
        break;
      }
    }
    throw this.unsupported(n);
  }

  private like(n: Node, like: { negated: boolean; caseInsensitive: boolean; escaped: boolean }): Predicate {
    const children = this.children(n);
    if (children.length !== (like.escaped ? 3 : 2)) throw this.unsupported(n);
    const operand = this.operand(children[0]);
    const pattern = this.operand(children[1]);
    const escape = like.escaped ? this.operand(children[2]) : undefined;
    if (pattern.kind !== 'literal' || (escape !== undefined && escape.kind !== 'literal')) {
      throw new LakeError('UNSUPPORTED_PREDICATE', `lake evaluates LIKE only with a constant pattern${this.at(n)}`);
    }
    let result: Predicate;
    const patternValue = pattern.literal;
    const escapeValue = escape?.kind === 'literal' ? escape.literal : undefined;
    if (patternValue.type === 'null' || escapeValue?.type === 'null') {
      result = { kind: 'constant', value: null };
    } else {
      if (patternValue.type !== 'string' || (escapeValue !== undefined && escapeValue.type !== 'string')) {
        throw new UsageError(`LIKE needs a string pattern${this.at(n)}`);
      }
      const escapeChar = escapeValue?.type === 'string' && escapeValue.value !== '' ? escapeValue.value : undefined;
      if (escapeChar !== undefined && [...escapeChar].length !== 1) {
        throw new UsageError(`the ESCAPE of a LIKE must be a single character, found ${JSON.stringify(escapeChar)}`);
      }
      checkLikePattern(patternValue.value, escapeChar);
      result = {
        kind: 'like',
        operand,
        pattern: patternValue.value,
        caseInsensitive: like.caseInsensitive,
        ...(escapeChar === undefined ? {} : { escape: escapeChar }),
      };
    }
    return like.negated ? { kind: 'not', child: result } : result;
  }

  operand(node: ExactJson | undefined): Operand {
    const n = this.node(node);
    switch (n['class']) {
      case 'COLUMN_REF': {
        const names = n['column_names'];
        if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string')) throw this.unsupported(n);
        return { kind: 'column', path: names as string[] };
      }
      case 'CONSTANT':
        return literal(constantLiteral(n['value']));
      case 'CAST': {
        const child = this.operand(n['child']);
        if (child.kind !== 'literal') {
          throw new LakeError('UNSUPPORTED_PREDICATE', `lake cannot evaluate casts of columns such as ${this.quote(n)}; compare the column with a literal instead`);
        }
        const castType = n['cast_type'];
        const id = jsonField(castType, 'id');
        if (typeof id !== 'string') throw this.unsupported(n);
        return literal(castLiteral(child.literal, id, jsonField(castType, 'type_info'), n['try_cast'] === true));
      }
      case 'FUNCTION': {
        const name = n['function_name'];
        const children = this.children(n);
        if ((name === '-' || name === '+') && children.length === 1) {
          const child = this.operand(children[0]);
          if (child.kind === 'literal') return literal(name === '-' ? negate(child.literal, () => this.unsupported(n)) : child.literal);
        }
        break;
      }
    }
    throw this.unsupported(n);
  }

  private node(value: ExactJson | undefined): Node {
    if (!isJsonObject(value)) throw new LakeError('UNSUPPORTED_PREDICATE', 'DuckDB returned a parse tree lake does not understand');
    return value;
  }

  private children(n: Node): ExactJson[] {
    const children = n['children'];
    return Array.isArray(children) ? [...(children as ExactJson[])] : [];
  }

  private only(children: readonly ExactJson[], n: Node): ExactJson {
    if (children.length !== 1) throw this.unsupported(n);
    return children[0]!;
  }

  /** The source text of a node, when DuckDB gave its position (best effort). */
  private quote(n: Node): string {
    const location = n['query_location'];
    if (location instanceof JsonNumber) {
      const at = Number(location.text) - PREFIX.length;
      if (at >= 0 && at < this.sql.length) {
        const text = this.sql.slice(at, at + 40);
        return JSON.stringify(text.length < this.sql.length - at ? `${text}…` : text);
      }
    }
    return 'it';
  }

  private at(n: Node): string {
    const location = n['query_location'];
    if (!(location instanceof JsonNumber)) return '';
    const at = Number(location.text) - PREFIX.length;
    return at >= 0 && at < this.sql.length ? ` (at character ${at + 1} of the condition)` : '';
  }

  private unsupported(n: Node): LakeError {
    const klass = String(n['class']);
    const type = String(n['type']);
    const name = n['function_name'];
    const what =
      klass === 'FUNCTION'
        ? typeof name === 'string' && /^[^a-z_]/i.test(name)
          ? `the operator ${name}`
          : `the function ${String(name)}()`
        : klass === 'SUBQUERY'
          ? 'a subquery'
          : klass === 'CASE'
            ? 'CASE'
            : klass === 'COLLATE'
              ? 'COLLATE'
              : `${klass.toLowerCase()} ${type.toLowerCase()}`;
    return new LakeError(
      'UNSUPPORTED_PREDICATE',
      `lake cannot evaluate ${what}${this.at(n)} in a row condition; it supports comparisons of columns with literals, AND/OR/NOT, IS [NOT] NULL, IN, BETWEEN and LIKE`,
    );
  }
}

function notDistinct(left: Operand, right: Operand): Predicate {
  // (a IS NULL AND b IS NULL) OR (a = b AND a IS NOT NULL AND b IS NOT NULL): never NULL.
  return {
    kind: 'or',
    children: [
      { kind: 'and', children: [{ kind: 'isNull', operand: left }, { kind: 'isNull', operand: right }] },
      {
        kind: 'and',
        children: [
          { kind: 'compare', op: '=', left, right },
          { kind: 'not', child: { kind: 'isNull', operand: left } },
          { kind: 'not', child: { kind: 'isNull', operand: right } },
        ],
      },
    ],
  };
}

/** A LIKE pattern may not end with its escape character (DuckDB refuses it too). */
function checkLikePattern(pattern: string, escape: string | undefined): void {
  if (escape === undefined) return;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === escape) {
      if (i === chars.length - 1) throw new UsageError(`the LIKE pattern ${JSON.stringify(pattern)} must not end with its escape character`);
      i++;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------------------------

function integerOf(value: ExactJson | undefined): bigint | undefined {
  if (value instanceof JsonNumber) return value.toBigInt();
  // HUGEINT / UHUGEINT: {upper (signed), lower (unsigned)}.
  const upper = jsonField(value, 'upper');
  const lower = jsonField(value, 'lower');
  if (upper instanceof JsonNumber && lower instanceof JsonNumber) {
    const u = upper.toBigInt();
    const l = lower.toBigInt();
    if (u !== undefined && l !== undefined) return (u << 64n) + l;
  }
  return undefined;
}

function constantLiteral(value: ExactJson | undefined): Literal {
  const bad = (): LakeError => new LakeError('UNSUPPORTED_PREDICATE', `lake does not understand the constant ${JSON.stringify(value)}`);
  if (jsonField(value, 'is_null') === true) return { type: 'null' };
  const type = jsonField(jsonField(value, 'type'), 'id');
  const raw = jsonField(value, 'value');
  switch (type) {
    case 'NULL':
      return { type: 'null' };
    case 'BOOLEAN':
      if (typeof raw !== 'boolean') throw bad();
      return { type: 'boolean', value: raw };
    case 'TINYINT':
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
    case 'HUGEINT':
    case 'UTINYINT':
    case 'USMALLINT':
    case 'UINTEGER':
    case 'UBIGINT':
    case 'UHUGEINT': {
      const n = integerOf(raw);
      if (n === undefined) throw bad();
      return { type: 'integer', value: n };
    }
    case 'DECIMAL': {
      const scale = jsonField(jsonField(jsonField(value, 'type'), 'type_info'), 'scale');
      const n = integerOf(raw);
      if (n === undefined || !(scale instanceof JsonNumber)) throw bad();
      return normalizeDecimal(n, Number(scale.text));
    }
    case 'DOUBLE':
    case 'FLOAT':
      if (!(raw instanceof JsonNumber)) throw bad();
      return type === 'FLOAT' ? { type: 'float', value: Math.fround(raw.toNumber()), single: true } : { type: 'float', value: raw.toNumber() };
    case 'VARCHAR':
      if (typeof raw !== 'string') throw bad();
      return { type: 'string', value: raw };
    default:
      throw new LakeError('UNSUPPORTED_PREDICATE', `lake does not evaluate constants of type ${String(type)}`);
  }
}

function normalizeDecimal(unscaled: bigint, scale: number): Literal {
  let u = unscaled;
  let s = scale;
  while (s > 0 && u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  return s === 0 ? { type: 'decimal', unscaled: u, scale: 0 } : { type: 'decimal', unscaled: u, scale: s };
}

function negate(value: Literal, fail: () => LakeError): Literal {
  switch (value.type) {
    case 'integer':
      return { type: 'integer', value: -value.value };
    case 'decimal':
      return { type: 'decimal', unscaled: -value.unscaled, scale: value.scale };
    case 'float':
      return { ...value, value: -value.value };
    case 'null':
      return value;
    default:
      throw fail();
  }
}

const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  TINYINT: [-(2n ** 7n), 2n ** 7n - 1n],
  SMALLINT: [-(2n ** 15n), 2n ** 15n - 1n],
  INTEGER: [-(2n ** 31n), 2n ** 31n - 1n],
  BIGINT: [-(2n ** 63n), 2n ** 63n - 1n],
  HUGEINT: [-(2n ** 127n), 2n ** 127n - 1n],
  UTINYINT: [0n, 2n ** 8n - 1n],
  USMALLINT: [0n, 2n ** 16n - 1n],
  UINTEGER: [0n, 2n ** 32n - 1n],
  UBIGINT: [0n, 2n ** 64n - 1n],
  UHUGEINT: [0n, 2n ** 128n - 1n],
};

/** A description of a literal for messages, in SQL. */
export function describeLiteral(value: Literal): string {
  switch (value.type) {
    case 'null':
      return 'NULL';
    case 'boolean':
      return value.value ? 'TRUE' : 'FALSE';
    case 'integer':
      return value.value.toString();
    case 'decimal': {
      const digits = (value.unscaled < 0n ? -value.unscaled : value.unscaled).toString().padStart(value.scale + 1, '0');
      const text = value.scale === 0 ? digits : `${digits.slice(0, -value.scale)}.${digits.slice(-value.scale)}`;
      return value.unscaled < 0n ? `-${text}` : text;
    }
    case 'float':
      return String(value.value);
    case 'string':
      return `'${value.value.replaceAll("'", "''")}'`;
    case 'binary':
      return `a ${value.value.length}-byte BLOB`;
    case 'date':
      return `DATE '${formatDate(BigInt(value.days))}'`;
    case 'timestamp':
      return `${value.utc ? 'TIMESTAMPTZ' : 'TIMESTAMP'} '${formatTimestamp(value.micros, value.utc)}'`;
  }
}

/**
 * A literal cast to a DuckDB type (`CAST(x AS type)`, `x::type`, `DATE '…'`), computed as DuckDB
 * does for the types lake reads: integers (rounding half away from zero, range-checked), DECIMAL(w,s),
 * DOUBLE/FLOAT, BOOLEAN, VARCHAR, BLOB, DATE, TIMESTAMP (the zone in the text is ignored),
 * TIMESTAMP WITH TIME ZONE (a missing zone is UTC). TRY_CAST gives NULL where CAST fails.
 */
export function castLiteral(value: Literal, type: string, typeInfo: ExactJson | undefined, tryCast = false): Literal {
  if (value.type === 'null') return value;
  const fail = (): Literal => {
    if (tryCast) return { type: 'null' };
    throw new UsageError(`cannot cast ${describeLiteral(value)} to ${type}`);
  };
  switch (type) {
    case 'BOOLEAN':
      switch (value.type) {
        case 'boolean':
          return value;
        case 'string': {
          const b = parseBooleanText(value.value);
          return b === undefined ? fail() : { type: 'boolean', value: b };
        }
        case 'integer':
          return { type: 'boolean', value: value.value !== 0n };
        default:
          return fail();
      }
    case 'TINYINT':
    case 'SMALLINT':
    case 'INTEGER':
    case 'BIGINT':
    case 'HUGEINT':
    case 'UTINYINT':
    case 'USMALLINT':
    case 'UINTEGER':
    case 'UBIGINT':
    case 'UHUGEINT': {
      let n: bigint | undefined;
      if (value.type === 'integer') n = value.value;
      else if (value.type === 'decimal') n = rescale(value.unscaled, value.scale, 0);
      else if (value.type === 'boolean') n = value.value ? 1n : 0n;
      else if (value.type === 'float' && Number.isFinite(value.value)) n = BigInt(Math.sign(value.value) * Math.round(Math.abs(value.value)));
      else if (value.type === 'string') {
        const d = parseDecimalText(value.value.replaceAll('_', ''));
        n = d === undefined ? undefined : rescale(d.unscaled, d.scale, 0);
      }
      const range = INTEGER_RANGES[type]!;
      if (n === undefined || n < range[0] || n > range[1]) return fail();
      return { type: 'integer', value: n };
    }
    case 'DECIMAL': {
      const width = jsonField(typeInfo, 'width');
      const scaleJson = jsonField(typeInfo, 'scale');
      const precision = width instanceof JsonNumber ? Number(width.text) : 18;
      const scale = scaleJson instanceof JsonNumber ? Number(scaleJson.text) : 3;
      let exact: { unscaled: bigint; scale: number } | undefined;
      if (value.type === 'integer') exact = { unscaled: value.value, scale: 0 };
      else if (value.type === 'decimal') exact = value;
      else if (value.type === 'string') exact = parseDecimalText(value.value);
      else if (value.type === 'float' && Number.isFinite(value.value)) exact = parseDecimalText(String(value.value));
      if (exact === undefined) return fail();
      const unscaled = rescale(exact.unscaled, exact.scale, scale);
      if ((unscaled < 0n ? -unscaled : unscaled) >= 10n ** BigInt(precision)) return fail();
      return normalizeDecimal(unscaled, scale);
    }
    case 'DOUBLE':
    case 'FLOAT': {
      let n: number | undefined;
      if (value.type === 'integer') n = Number(value.value);
      else if (value.type === 'decimal') n = Number(describeLiteral(value));
      else if (value.type === 'float') n = value.value;
      else if (value.type === 'string') n = parseDoubleText(value.value);
      else if (value.type === 'boolean') n = value.value ? 1 : 0;
      if (n === undefined) return fail();
      return type === 'FLOAT' ? { type: 'float', value: Math.fround(n), single: true } : { type: 'float', value: n };
    }
    case 'VARCHAR':
      switch (value.type) {
        case 'string':
          return value;
        case 'integer':
        case 'decimal':
        case 'boolean':
          return { type: 'string', value: describeLiteral(value).toLowerCase() };
        default:
          return fail();
      }
    case 'BLOB':
      if (value.type === 'binary') return value;
      if (value.type === 'string') {
        const bytes = parseBlobText(value.value);
        return bytes === undefined ? fail() : { type: 'binary', value: bytes };
      }
      return fail();
    case 'DATE':
      if (value.type === 'date') return value;
      if (value.type === 'timestamp') return { type: 'date', days: Number(floorDiv(value.micros, MICROS_PER_DAY)) };
      if (value.type === 'string') {
        const days = parseDateText(value.value);
        return days === undefined ? fail() : { type: 'date', days };
      }
      return fail();
    case 'TIMESTAMP':
    case 'TIMESTAMP WITH TIME ZONE': {
      const utc = type !== 'TIMESTAMP';
      if (value.type === 'timestamp') return { type: 'timestamp', micros: value.micros, utc };
      if (value.type === 'date') return { type: 'timestamp', micros: BigInt(value.days) * MICROS_PER_DAY, utc };
      if (value.type === 'string') {
        const micros = parseTimestampText(value.value, utc);
        return micros === undefined ? fail() : { type: 'timestamp', micros, utc };
      }
      return fail();
    }
    default:
      throw new LakeError('UNSUPPORTED_PREDICATE', `lake does not evaluate casts to ${type}`);
  }
}
